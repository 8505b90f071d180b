"""`manage.py create_tenant SLUG [--min-age N]`: prints {"tenant": SLUG, "api_key": KEY} once."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from verification.errors import InvalidInput
from verification.services.tenants import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (a marketplace) and print its first API key. The key is shown only once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--min-age", type=int, default=None, help="Minimum age of verified users.")

    def handle(self, *args: Any, slug: str, min_age: int | None, **options: Any) -> None:
        if slugify(slug) != slug:
            raise CommandError("SLUG may hold only lowercase letters, digits, hyphens and underscores.")
        try:
            tenant, key = tenant_create(slug=slug, min_age=min_age)
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(json.dumps({"tenant": tenant.slug, "api_key": key}))
