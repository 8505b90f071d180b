"""/v1/org/: an organisation's officers authenticate with the organisation's API credential."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from verification.models import Organization, OrganizationCredential, OrganizationStatus
from verification.services.organizations import ORG_CREDENTIAL_PREFIX
from verification.tokens import token_hash


@dataclass(frozen=True, slots=True)
class OrganizationPrincipal:
    organization: Organization
    credential_id: UUID

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def actor(self) -> str:
        return f"org_credential:{self.credential_id}"


class OrganizationCredentialAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[OrganizationPrincipal, OrganizationPrincipal] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.") from None
        if not token.startswith(ORG_CREDENTIAL_PREFIX):
            return None
        credential = (
            OrganizationCredential.objects.select_related("organization")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True)
            .first()
        )
        if credential is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked organisation credential.")
        if credential.organization.status != OrganizationStatus.ACTIVE:
            raise exceptions.PermissionDenied("This organisation is suspended.")
        principal = OrganizationPrincipal(organization=credential.organization, credential_id=credential.id)
        return principal, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="tasdeeq-org"'


class IsOrganization(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, OrganizationPrincipal)


class OrganizationCredentialScheme(OpenApiAuthenticationExtension):
    target_class = "api.org_authentication.OrganizationCredentialAuthentication"
    name = "organizationCredential"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's credential (tqo_...) from `manage.py org create-credential`.",
        }
