"""`manage.py org ...`: the registry of authorised community organisations (issue #8).

    org create SLUG --name NAME --community C [--community C2] [--webhook-url URL]
    org add-key ORG --kid KID --public-key JWK_OR_B64 [--valid-from ISO] [--valid-until ISO]
    org rotate-key ORG --kid KID --public-key JWK_OR_B64
    org revoke-key ORG --kid KID
    org suspend ORG | org activate ORG
    org set-webhook ORG --url URL          (prints the new signing secret once; "" clears it)
    org create-credential ORG [--name NAME] (prints the /v1/org/ token once)
    org list

ORG is a slug or an id. Output is JSON; secrets appear only in the output of the command that
made them.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from verification.errors import DomainError
from verification.models import Organization, OrganizationStatus
from verification.services.organizations import (
    organization_create,
    organization_credential_create,
    organization_get,
    organization_key_add,
    organization_key_revoke,
    organization_key_rotate,
    organization_set_status,
    organization_set_webhook,
    public_key_from,
)


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(f"{value!r} is not an ISO 8601 date-time with a time zone.")
    return parsed


def _key_text(value: str) -> str:
    """The key itself, or @path to a file holding it (as `tasdeeq-org keygen` printed it)."""
    return Path(value[1:]).read_text() if value.startswith("@") else value


class Command(BaseCommand):
    help = "Manage authorised community organisations, their keys and credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--community", action="append", required=True, dest="communities")
        create.add_argument("--webhook-url", default="")
        for name in ("add-key", "rotate-key"):
            key = commands.add_parser(name)
            key.add_argument("org")
            key.add_argument("--kid", required=True)
            key.add_argument("--public-key", required=True, help="a public JWK, base64url, or @file")
            if name == "add-key":
                key.add_argument("--valid-from", default=None)
                key.add_argument("--valid-until", default=None)
        revoke = commands.add_parser("revoke-key")
        revoke.add_argument("org")
        revoke.add_argument("--kid", required=True)
        for name in ("suspend", "activate"):
            commands.add_parser(name).add_argument("org")
        webhook = commands.add_parser("set-webhook")
        webhook.add_argument("org")
        webhook.add_argument("--url", required=True)
        credential = commands.add_parser("create-credential")
        credential.add_argument("org")
        credential.add_argument("--name", default="")
        commands.add_parser("list")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            result = getattr(self, "_" + action.replace("-", "_"))(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps(result, default=str))

    def _create(self, *, slug: str, name: str, communities: list[str], webhook_url: str, **_: Any) -> Any:
        organization, secret = organization_create(
            slug=slug, name=name, communities=communities, webhook_url=webhook_url
        )
        out: dict[str, Any] = {"id": str(organization.id), "slug": organization.slug}
        if secret:
            out["webhook_secret"] = secret
        return out

    def _add_key(self, *, org: str, kid: str, public_key: str, valid_from: str | None,
                 valid_until: str | None, **_: Any) -> Any:  # fmt: skip
        key = organization_key_add(
            organization=organization_get(ref=org),
            kid=kid,
            public_key=public_key_from(_key_text(public_key)),
            valid_from=_when(valid_from),
            valid_until=_when(valid_until),
        )
        return {"kid": key.kid, "valid_from": key.valid_from, "valid_until": key.valid_until}

    def _rotate_key(self, *, org: str, kid: str, public_key: str, **_: Any) -> Any:
        key = organization_key_rotate(
            organization=organization_get(ref=org), kid=kid, public_key=public_key_from(_key_text(public_key))
        )
        return {"kid": key.kid, "valid_from": key.valid_from}

    def _revoke_key(self, *, org: str, kid: str, **_: Any) -> Any:
        flagged = organization_key_revoke(organization=organization_get(ref=org), kid=kid)
        return {"kid": kid, "revoked": True, "flagged_verifications": len(flagged)}

    def _suspend(self, *, org: str, **_: Any) -> Any:
        organization_set_status(organization=organization_get(ref=org), status=OrganizationStatus.SUSPENDED)
        return {"org": org, "status": OrganizationStatus.SUSPENDED}

    def _activate(self, *, org: str, **_: Any) -> Any:
        organization_set_status(organization=organization_get(ref=org), status=OrganizationStatus.ACTIVE)
        return {"org": org, "status": OrganizationStatus.ACTIVE}

    def _set_webhook(self, *, org: str, url: str, **_: Any) -> Any:
        secret = organization_set_webhook(organization=organization_get(ref=org), webhook_url=url)
        return {"org": org, "webhook_url": url, "webhook_secret": secret}

    def _create_credential(self, *, org: str, name: str, **_: Any) -> Any:
        credential, token = organization_credential_create(organization=organization_get(ref=org), name=name)
        return {"credential": str(credential.id), "token": token}

    def _list(self, **_: Any) -> Any:
        return [
            {
                "id": str(organization.id),
                "slug": organization.slug,
                "name": organization.name,
                "communities": organization.communities,
                "status": organization.status,
                "webhook": bool(organization.webhook_url),
                "keys": [
                    {
                        "kid": key.kid,
                        "valid_from": key.valid_from,
                        "valid_until": key.valid_until,
                        "revoked_at": key.revoked_at,
                    }
                    for key in organization.keys.order_by("valid_from")
                ],
                "credentials": organization.credentials.filter(revoked_at__isnull=True).count(),
            }
            for organization in Organization.objects.order_by("slug").prefetch_related("keys")
        ]
