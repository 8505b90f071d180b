"""`manage.py verify_audit [--tenant SLUG]`: recompute the audit hash chains; exit 1 on any break."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.models import Tenant
from verification.services.audit import audit_verify, chain_for


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains; lists every edited, missing or reordered record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="only this tenant's chain (by slug)")

    def handle(self, *args: Any, tenant: str | None = None, **options: Any) -> None:
        chain = None
        if tenant is not None:
            found = Tenant.objects.filter(slug=tenant).first()
            if found is None:
                raise CommandError(f"no tenant {tenant!r}")
            chain = chain_for(found)
        problems = audit_verify(chain=chain)
        self.stdout.write(
            json.dumps({"ok": not problems, "problems": [asdict(p) for p in problems]}, indent=2)
        )
        if problems:
            raise CommandError(f"audit chain broken: {len(problems)} problem(s)", returncode=1)
