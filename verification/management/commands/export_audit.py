"""`manage.py export_audit SLUG`: the tenant's audit chain as JSON lines, verifiable offline."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.models import Tenant
from verification.services.audit import audit_export


class Command(BaseCommand):
    help = "Export a tenant's audit records (one JSON object a line, in chain order)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, slug: str, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"no tenant {slug!r}")
        for row in audit_export(tenant=tenant):
            self.stdout.write(json.dumps(row, sort_keys=True))
