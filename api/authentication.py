"""Who is calling: a tenant's API key, or a mobile app's client secret scoped to one verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from verification.models import ApiKey, Reviewer, ReviewerToken, Tenant, Verification
from verification.services.reviewers import REVIEWER_TOKEN_PREFIX
from verification.tokens import API_KEY_PREFIXES, CLIENT_SECRET_PREFIX, token_hash

# Writing last_used_at on every request would make every read a write; once a minute is enough.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: Tenant
    api_key_id: UUID | None = None
    # Set for a client secret: the only verification this caller may touch.
    verification_id: UUID | None = None
    # Test mode (a `tdq_test_` key, or a test verification's client secret) sees only test objects.
    livemode: bool = True

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_client(self) -> bool:
        return self.verification_id is not None

    @property
    def actor(self) -> str:
        """Who acts, for the audit trail: an id, never a secret."""
        if self.is_client:
            return f"client_secret:{self.verification_id}"
        return f"api_key:{self.api_key_id}"


def request_principal(request: Request) -> Principal:
    """The tenant principal of a request that the `IsTenant` permission already let through."""
    principal = request.auth
    assert isinstance(principal, Principal)  # IsTenant guarantees it
    return principal


def bearer_token(request: Request) -> str | None:
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != b"bearer":
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed("Malformed Authorization header.")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("Malformed Authorization header.") from None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Principal, Principal] | None:
        token = bearer_token(request)
        if token is None or not token.startswith(API_KEY_PREFIXES):
            return None
        api_key = (
            ApiKey.objects.select_related("tenant")
            .filter(key_hash=token_hash(token), revoked_at__isnull=True)
            .first()
        )
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        principal = Principal(tenant=api_key.tenant, api_key_id=api_key.id, livemode=api_key.livemode)
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="tasdeeq"'


class ClientSecretExpired(exceptions.AuthenticationFailed):
    default_code = "client_secret_expired"
    default_detail = "The client secret has expired."


class ClientSecretAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Principal, Principal] | None:
        token = bearer_token(request)
        if token is None or not token.startswith(CLIENT_SECRET_PREFIX):
            return None
        verification = (
            Verification.objects.select_related("tenant").filter(client_secret_hash=token_hash(token)).first()
        )
        if verification is None:
            raise exceptions.AuthenticationFailed("Invalid client secret.")
        if verification.client_secret_expires_at <= timezone.now():
            raise ClientSecretExpired()
        principal = Principal(
            tenant=verification.tenant, verification_id=verification.id, livemode=verification.livemode
        )
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="tasdeeq"'


# --- Review API: reviewers authenticate with a short-lived token from POST /v1/review/login ---------


@dataclass(frozen=True, slots=True)
class ReviewerPrincipal:
    """A reviewer who logged in with password + TOTP; `token_id` is the token they present."""

    reviewer: Reviewer
    token_id: UUID

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def actor(self) -> str:
        return f"reviewer:{self.reviewer.id}"


class ReviewerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ReviewerPrincipal, ReviewerPrincipal] | None:
        token = bearer_token(request)
        if token is None or not token.startswith(REVIEWER_TOKEN_PREFIX):
            return None
        row = (
            ReviewerToken.objects.select_related("reviewer__user", "reviewer__tenant")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True, reviewer__user__is_active=True)
            .first()
        )
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked reviewer token.")
        if row.expires_at <= timezone.now():
            raise ReviewerTokenExpired()
        principal = ReviewerPrincipal(reviewer=row.reviewer, token_id=row.id)
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="tasdeeq-review"'


class ReviewerTokenExpired(exceptions.AuthenticationFailed):
    default_code = "reviewer_token_expired"
    default_detail = "The reviewer token has expired; log in again."
