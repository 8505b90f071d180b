"""`manage.py set_tenant_retention SLUG '{"document_ttl_after_decision_seconds": 3600, ...}'`.

Keys: document_ttl_after_decision_seconds, document_max_age_seconds (at most 30 days),
records_retention_days, keep_fingerprints_on_erasure (true keeps duplicate-identity HMACs when a
subject is erased, for fraud prevention). {} restores the defaults. The change is audited.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.errors import InvalidInput
from verification.management.commands._arguments import json_object, tenant_by_slug
from verification.retention import RetentionPolicy
from verification.services.tenants import tenant_set_retention


class Command(BaseCommand):
    help = "Set a tenant's retention overrides (a JSON object; {} restores the defaults)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("retention", help="JSON object")

    def handle(self, *args: Any, slug: str, retention: str, **options: Any) -> None:
        tenant = tenant_by_slug(slug)
        parsed = json_object(retention, name="RETENTION")
        try:
            tenant = tenant_set_retention(tenant=tenant, retention=parsed)
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        effective = RetentionPolicy.for_tenant(tenant)
        self.stdout.write(
            json.dumps({"tenant": slug, "retention": tenant.retention, "effective": asdict(effective)})
        )
