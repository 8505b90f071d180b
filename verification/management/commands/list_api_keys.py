"""`manage.py list_api_keys SLUG`: the tenant's keys by id and prefix (never the key itself)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from verification.models import ApiKey


class Command(BaseCommand):
    help = "List a tenant's API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, slug: str, **options: Any) -> None:
        keys = ApiKey.objects.filter(tenant__slug=slug).order_by("created_at")
        rows = [
            {
                "id": str(key.id),
                "name": key.name,
                "prefix": key.prefix,
                "created_at": key.created_at.isoformat(),
                "revoked": key.revoked_at is not None,
            }
            for key in keys
        ]
        self.stdout.write(json.dumps(rows, indent=2))
