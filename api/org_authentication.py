"""/v1/org/: an organisation's officers authenticate with the organisation's API credential."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.authentication import bearer_token
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
        token = bearer_token(request)
        if token is None or not token.startswith(ORG_CREDENTIAL_PREFIX):
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
