"""`manage.py create_reviewer USERNAME [--tenant SLUG] [--role lead]`: prints the one-time secrets.

Output (JSON): the reviewer's id, role and tenant, a generated password, the `otpauth://` URI for an
authenticator app, an enrolment link that shows it as a QR code, and ten single-use recovery codes.
None of these is shown again: the password and codes are stored as hashes, the TOTP secret sealed.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from verification.errors import InvalidInput
from verification.models import ReviewerRole, Tenant
from verification.services.reviewers import reviewer_create


class Command(BaseCommand):
    help = "Create a reviewer (operator staff, or --tenant for a tenant's trust team) and print its secrets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--tenant", default=None, help="Slug of the tenant whose cases they review.")
        parser.add_argument("--role", choices=ReviewerRole.values, default=ReviewerRole.REVIEWER)

    def handle(self, *args: Any, username: str, tenant: str | None, role: str, **options: Any) -> None:
        tenant_obj = None
        if tenant is not None:
            tenant_obj = Tenant.objects.filter(slug=tenant).first()
            if tenant_obj is None:
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        try:
            created = reviewer_create(username=username, tenant=tenant_obj, role=role)
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        enrol_path = reverse("review-enrol", args=[created.enrol_token])
        self.stdout.write(
            json.dumps(
                {
                    "reviewer": str(created.reviewer.id),
                    "username": username,
                    "role": role,
                    "tenant": tenant,
                    "password": created.password,
                    "otpauth_uri": created.otpauth_uri,
                    "enrol_url": settings.REVIEW_BASE_URL.rstrip("/") + enrol_path,
                    "recovery_codes": created.recovery_codes,
                }
            )
        )
