"""OpenAPI extensions: the bearer schemes, so the schema documents how to authenticate."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "description": "A tenant API key (tdq_live_...)."}


class ClientSecretScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ClientSecretAuthentication"
    name = "clientSecret"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A verification's client secret (vcs_...), for the capture app.",
        }


class ReviewerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ReviewerTokenAuthentication"
    name = "reviewerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A reviewer token (rvt_...) from POST /v1/review/login (password + TOTP).",
        }
