"""Verify a receipt offline: a compact JWS, Ed25519 (`alg` "Ed25519", or the older "EdDSA"),
against the issuer's JWKS (fetched once from /.well-known/jwks.json and kept).

Test-mode receipts are signed with the same keys (so integration tests exercise the real check),
but anyone with a test key can force their outcome: they are refused unless `allow_test=True`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tasdeeq_client.errors import ReceiptVerificationError
from tasdeeq_client.models import ReceiptClaims

_ALGORITHMS = frozenset({"Ed25519", "EdDSA"})


def _b64(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ReceiptVerificationError("receipt_malformed", "a segment is not base64url") from exc


def _public_key(jwks: dict[str, Any], kid: str) -> Ed25519PublicKey:
    for jwk in jwks.get("keys", []):
        if jwk.get("kid") == kid and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return Ed25519PublicKey.from_public_bytes(_b64(jwk["x"]))
    raise ReceiptVerificationError("receipt_unknown_key", f"no Ed25519 key {kid!r} in the JWKS")


def receipt_verify(
    token: str,
    jwks: dict[str, Any],
    *,
    issuer: str | None = None,
    tenant_id: str | None = None,
    allow_test: bool = False,
) -> ReceiptClaims:
    """Check the signature, that it is a live receipt (unless `allow_test`), and the issuer and
    tenant when given; return the claims, or raise `ReceiptVerificationError`."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ReceiptVerificationError("receipt_malformed", "a compact JWS has three parts")
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except ValueError as exc:
        raise ReceiptVerificationError("receipt_malformed", "the header or payload is not JSON") from exc
    if header.get("alg") not in _ALGORITHMS:
        raise ReceiptVerificationError("receipt_bad_algorithm", "only Ed25519 receipts are accepted")
    key = _public_key(jwks, str(header.get("kid")))
    try:
        key.verify(_b64(parts[2]), f"{parts[0]}.{parts[1]}".encode())
    except InvalidSignature as exc:
        raise ReceiptVerificationError("receipt_signature_invalid", "the signature does not verify") from exc
    if issuer is not None and claims.get("iss") != issuer:
        raise ReceiptVerificationError("receipt_wrong_issuer", "the receipt is from another issuer")
    # A missing claim counts as test mode: fail closed.
    if claims.get("livemode") is not True and not allow_test:
        raise ReceiptVerificationError(
            "receipt_test_mode", "a test-mode receipt (its outcome can be forced); pass allow_test=True"
        )
    if tenant_id is not None and str((claims.get("tenant") or {}).get("id")) != str(tenant_id):
        raise ReceiptVerificationError("receipt_wrong_tenant", "the receipt is for another tenant")
    return ReceiptClaims.from_claims(claims, kid=str(header["kid"]))
