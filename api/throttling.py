"""Rate limits per API key and per client secret (429 `rate_limited` with Retry-After).

Counts live in the shared cache (Redis), so every API process sees the same window. Rates are read
from settings on each request (RATE_LIMIT_API_KEY, RATE_LIMIT_CLIENT_SECRET), not at import time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import Principal


class _PrincipalThrottle(SimpleRateThrottle):
    setting = ""
    # SimpleRateThrottle reads the rate in __init__; the rate comes from our own setting instead.
    THROTTLE_RATES: dict[str, str | None] = {}

    def get_rate(self) -> str | None:
        return str(getattr(settings, self.setting) or "") or None

    def ident(self, principal: Principal) -> str | None:
        """Whom this throttle counts; None leaves the caller to the other throttle."""
        return None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        principal = request.auth
        if not isinstance(principal, Principal):
            return None  # reviewers and anonymous callers are limited elsewhere
        ident = self.ident(principal)
        return None if ident is None else f"throttle:{self.scope}:{ident}"


class ApiKeyRateThrottle(_PrincipalThrottle):
    scope = "api_key"
    setting = "RATE_LIMIT_API_KEY"

    def ident(self, principal: Principal) -> str | None:
        return None if principal.is_client else str(principal.api_key_id)


class ClientSecretRateThrottle(_PrincipalThrottle):
    scope = "client_secret"
    setting = "RATE_LIMIT_CLIENT_SECRET"

    def ident(self, principal: Principal) -> str | None:
        return str(principal.verification_id) if principal.is_client else None
