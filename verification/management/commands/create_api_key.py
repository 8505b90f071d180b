"""`manage.py create_api_key SLUG [--name NAME] [--test]`: another key for a tenant, printed once."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.models import Tenant
from verification.services.tenants import api_key_create


class Command(BaseCommand):
    help = "Add an API key to a tenant and print it. The key is shown only once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default="")
        parser.add_argument("--test", action="store_true", help="A test-mode key (tdq_test_...).")

    def handle(self, *args: Any, slug: str, name: str, test: bool = False, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError("No such tenant.")
        api_key, key = api_key_create(tenant=tenant, name=name, livemode=not test)
        self.stdout.write(json.dumps({"tenant": slug, "api_key_id": str(api_key.id), "api_key": key}))
