"""Argument readers shared by the management commands (not a command: the leading underscore)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

from verification.models import Tenant


def tenant_by_slug(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise CommandError("No such tenant.")
    return tenant


def json_object(raw: str, *, name: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{name} must be a JSON object.") from exc
    if not isinstance(parsed, dict):
        raise CommandError(f"{name} must be a JSON object.")
    return parsed
