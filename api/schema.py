"""OpenAPI extensions: the bearer schemes, so the schema documents how to authenticate."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def _bearer_scheme(target: str, name: str, description: str) -> type[OpenApiAuthenticationExtension]:
    """A bearer-token scheme for the authentication class `target` (defining it registers it)."""

    def get_security_definition(self: OpenApiAuthenticationExtension, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "description": description}

    return type(
        f"{name}Scheme",
        (OpenApiAuthenticationExtension,),
        {"target_class": target, "name": name, "get_security_definition": get_security_definition},
    )


ApiKeyScheme = _bearer_scheme(
    "api.authentication.ApiKeyAuthentication", "apiKey", "A tenant API key (tdq_live_...)."
)
ClientSecretScheme = _bearer_scheme(
    "api.authentication.ClientSecretAuthentication",
    "clientSecret",
    "A verification's client secret (vcs_...), for the capture app.",
)
ReviewerTokenScheme = _bearer_scheme(
    "api.authentication.ReviewerTokenAuthentication",
    "reviewerToken",
    "A reviewer token (rvt_...) from POST /v1/review/login (password + TOTP).",
)
OrganizationCredentialScheme = _bearer_scheme(
    "api.org_authentication.OrganizationCredentialAuthentication",
    "organizationCredential",
    "An organisation's credential (tqo_...) from `manage.py org create-credential`.",
)
