"""One error shape for every API error: {"error": {"code", "message", "details"}}.

Codes are stable and machine-readable; README's "Error codes" lists them. Messages never contain
personal data. Anything unexpected answers 500 `internal_error` without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from verification import errors as domain

logger = logging.getLogger(__name__)

_DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.NotFound, status.HTTP_404_NOT_FOUND),
    (domain.InvalidState, status.HTTP_409_CONFLICT),
    (domain.UploadTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (domain.UnsupportedFileType, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (domain.InvalidInput, status.HTTP_400_BAD_REQUEST),
    (domain.AuthenticationError, status.HTTP_401_UNAUTHORIZED),
    (domain.Forbidden, status.HTTP_403_FORBIDDEN),
    (domain.Locked, status.HTTP_429_TOO_MANY_REQUESTS),
    (domain.Gone, status.HTTP_410_GONE),
]

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "malformed_request",
    exceptions.ValidationError: "validation_error",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_code(exc: exceptions.APIException) -> str:
    custom = getattr(exc, "default_code", None)
    for klass in type(exc).__mro__:
        if klass in _DRF_CODES:
            # A subclass with its own default_code (e.g. client_secret_expired) keeps it.
            if klass is not type(exc) and custom and custom != klass.default_code:
                return str(custom)
            return _DRF_CODES[klass]
    return str(custom or "error")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, domain.DomainError):
        http_status = next(code for klass, code in _DOMAIN_STATUS if isinstance(exc, klass))
        return Response(error_body(exc.code, exc.message, exc.details), status=http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", type(context.get("view")).__name__)
        return Response(
            error_body("internal_error", "Something went wrong on our side."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        invalid = {"fields": exc.detail} if isinstance(exc.detail, dict) else {"errors": exc.detail}
        response.data = error_body("validation_error", "The request is not valid.", invalid)
    else:
        details: dict[str, Any] = {}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            details["retry_after"] = int(wait)
        response.data = error_body(_drf_code(exc), str(exc.detail), details)
    return response


def _plain(code: str, message: str, http_status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=http_status)


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _plain("not_found", "No such resource.", 404)


def handler500(request: HttpRequest) -> JsonResponse:
    return _plain("internal_error", "Something went wrong on our side.", 500)


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _plain("bad_request", "The request is not valid.", 400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _plain("permission_denied", "You may not do this.", 403)
