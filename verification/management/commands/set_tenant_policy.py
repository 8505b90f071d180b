"""`manage.py set_tenant_policy SLUG '{"max_input_attempts": 2, ...}' [--min-age N]`.

Keys: max_input_attempts, allowed_document_types (passport, id_card, driving_licence),
required_checks (check names), face_match_accept, face_match_reject (distances).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.errors import InvalidInput
from verification.management.commands._arguments import json_object, tenant_by_slug
from verification.services.tenants import tenant_set_policy


class Command(BaseCommand):
    help = "Set a tenant's decision-policy overrides (a JSON object; {} restores the defaults)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("policy", help="JSON object")
        parser.add_argument("--min-age", type=int, default=None)

    def handle(self, *args: Any, slug: str, policy: str, min_age: int | None, **options: Any) -> None:
        tenant = tenant_by_slug(slug)
        parsed = json_object(policy, name="POLICY")
        try:
            tenant = tenant_set_policy(tenant=tenant, policy=parsed, min_age=min_age)
        except (InvalidInput, ValueError, TypeError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        self.stdout.write(json.dumps({"tenant": slug, "policy": tenant.policy, "min_age": tenant.min_age}))
