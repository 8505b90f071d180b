"""`Idempotency-Key` on every POST under /v1/: a retried request gets the first answer back.

A middleware, so that every POST view is covered without each one opting in. The request is
fingerprinted by method, path and a canonical form of the body (JSON re-serialised with sorted keys;
a multipart body with its random boundary removed, so a client library's retry of the same upload
matches), and only that hash is stored. Answers are kept for IDEMPOTENCY_TTL_SECONDS unless they
are 5xx, 401 or 429 (retrying those must be able to succeed). Each kept answer is linked to the
verification it is about: the one in the URL (`<verification_id>`), or the one the view created
(`idempotency_link`), or the confirmation request's verification for an organisation's answer
(`<request_id>` under /v1/org/confirmation-requests/), so that redacting the verification deletes
the answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from api.errors import error_body
from verification.selectors import confirmation_request_verification_id
from verification.services.idempotency import (
    IdempotencyConflict,
    Replay,
    idempotency_abandon,
    idempotency_begin,
    idempotency_complete,
)
from verification.tokens import token_hash

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_MAX_KEY = 255
_NOT_KEPT = frozenset({401, 429})
_MESSAGES = {
    "idempotency_key_reused": "This Idempotency-Key was used with a different request.",
    "idempotency_key_in_use": "A request with this Idempotency-Key is still running; retry shortly.",
}


def _canonical(content_type: str, body: bytes) -> bytes:
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "application/json":
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, UnicodeDecodeError):
            return body
    if media_type == "multipart/form-data":
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "boundary" and value:
                return body.replace(value.strip('"').encode(), b"")
    return body


def request_fingerprint(request: HttpRequest, body: bytes) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    # The raw header: `request.content_type` has lost the parameters (the boundary among them).
    digest.update(_canonical(request.META.get("CONTENT_TYPE", ""), body))
    return digest.hexdigest()


def credential_scope(authorization: str) -> str:
    """Whose keys these are: the hash of the bearer token, the same `token_hash` the API key and
    client secret rows keep, so revoking a key can drop its kept answers (api_key_revoke)."""
    parts = authorization.split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return token_hash(parts[1])
    return hashlib.sha256(authorization.encode()).hexdigest()  # malformed: 401 follows, not kept


_LINK = "_idempotency_verification_id"
_ORG_REQUESTS = "/v1/org/confirmation-requests/"


def idempotency_link(request: HttpRequest, verification_id: uuid.UUID) -> None:
    """For a view that creates a verification: the answer about to be kept is about this one."""
    setattr(request, _LINK, verification_id)


def _linked_verification(request: HttpRequest) -> uuid.UUID | None:
    linked = getattr(request, _LINK, None)
    if isinstance(linked, uuid.UUID):
        return linked
    match = request.resolver_match  # set while the request was routed
    if match is not None and "request_id" in match.kwargs and request.path.startswith(_ORG_REQUESTS):
        # An organisation's answer about a confirmation request: about the request's verification,
        # and may hold the member reference, so its redaction must drop it.
        return confirmation_request_verification_id(request_id=str(match.kwargs["request_id"]))
    value = match.kwargs.get("verification_id") if match is not None else None
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:  # a malformed id in the URL: a 404 about nothing held
        return None


def _read_body(request: HttpRequest) -> bytes:
    # Read the stream ourselves (bounded by the caller's length check) rather than `request.body`,
    # which refuses uploads above DATA_UPLOAD_MAX_MEMORY_SIZE. Django and DRF parse from `_body`
    # afterwards, through the same capped in-memory upload handlers.
    body = request.read()
    request._body = body
    return body


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/v1/"):
            return self.get_response(request)
        if not 0 < len(key) <= _MAX_KEY or not key.isascii() or not key.isprintable():
            return JsonResponse(
                error_body(
                    "idempotency_key_invalid", f"{HEADER} must be 1 to {_MAX_KEY} printable characters."
                ),
                status=400,
            )
        credential = request.headers.get("Authorization", "")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not credential or length > settings.UPLOAD_MAX_BYTES + 1024 * 1024:
            # No caller to scope the key to (401 follows), or a body refused as too large anyway.
            return self.get_response(request)
        body = _read_body(request)
        scope = credential_scope(credential)
        try:
            claimed = idempotency_begin(scope=scope, key=key, request_hash=request_fingerprint(request, body))
        except IdempotencyConflict as exc:
            return JsonResponse(error_body(exc.code, _MESSAGES[exc.code]), status=exc.status)
        if isinstance(claimed, Replay):
            replayed = HttpResponse(
                claimed.body, status=claimed.status_code, content_type=claimed.content_type
            )
            replayed["Idempotent-Replayed"] = "true"
            return replayed
        try:
            response = self.get_response(request)
        except BaseException:
            idempotency_abandon(record=claimed)
            raise
        if response.status_code >= 500 or response.status_code in _NOT_KEPT or response.streaming:
            idempotency_abandon(record=claimed)
        else:
            idempotency_complete(
                record=claimed,
                status_code=response.status_code,
                content_type=response.get("Content-Type", "application/json"),
                body=response.content,
                verification_id=_linked_verification(request),
            )
        return response
