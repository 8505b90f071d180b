"""`manage.py revoke_api_key SLUG KEY_ID`: revoke one key of a tenant (its other keys keep working)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.models import ApiKey
from verification.services.tenants import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its id (see list_api_keys)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("key_id")

    def handle(self, *args: Any, slug: str, key_id: str, **options: Any) -> None:
        try:
            api_key = ApiKey.objects.filter(tenant__slug=slug, pk=key_id).first()
        except ValidationError:
            api_key = None
        if api_key is None:
            raise CommandError("No such API key for this tenant.")
        api_key_revoke(api_key=api_key)
        self.stdout.write(json.dumps({"tenant": slug, "api_key_id": key_id, "revoked": True}))
