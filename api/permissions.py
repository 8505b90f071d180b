from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.authentication import Principal, ReviewerPrincipal


class IsTenant(BasePermission):
    """Any authenticated caller; views narrow client secrets further with `client_allowed`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.auth
        if not isinstance(principal, Principal):
            return False
        return not principal.is_client or getattr(view, "client_allowed", False)


class IsReviewer(BasePermission):
    """A reviewer authenticated by a review token (see api.authentication.ReviewerTokenAuthentication)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ReviewerPrincipal)
