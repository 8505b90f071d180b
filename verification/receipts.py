"""Signed verification receipts: a portable, personal-data-free statement of an outcome.

On a final decision (`verified` or `rejected`) the verification gets a receipt: a compact JWS signed
with Ed25519 (`alg` "Ed25519", RFC 9864) under the first key of TASDEEQ_RECEIPT_KEYS; every
configured key is published at `/.well-known/jwks.json`, so a key can be rotated (new key first)
while receipts signed with older ones still verify. When the documents are deleted the receipt is
reissued with `documents_deleted_at` set (a new `jti`, `supersedes` naming the old one); a redacted
verification's receipt is withdrawn. A marketplace can keep the receipt instead of any document.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from joserfc import jws
from joserfc.jwk import OKPKey

from verification.models import Receipt, Status, Verification

ALGORITHM = "Ed25519"
RECEIPT_TYPE = "tasdeeq-receipt+jwt"
DECISIONS = frozenset({Status.VERIFIED, Status.REJECTED})


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    key: OKPKey


@cache
def _keys_from(value: str) -> tuple[SigningKey, ...]:
    keys = []
    for item in value.split(","):
        kid, _, encoded = item.strip().partition(":")
        try:
            seed = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured("TASDEEQ_RECEIPT_KEYS: a key is not valid base64.") from exc
        if not kid or len(seed) != 32:
            raise ImproperlyConfigured("TASDEEQ_RECEIPT_KEYS entries must be 'kid:<32 bytes, base64>'.")
        keys.append(SigningKey(kid, OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(seed))))
    if not keys:
        raise ImproperlyConfigured("TASDEEQ_RECEIPT_KEYS holds no key.")
    return tuple(keys)


def signing_keys() -> tuple[SigningKey, ...]:
    return _keys_from(settings.TASDEEQ_RECEIPT_KEYS)


def jwks() -> dict[str, Any]:
    """The public half of every configured key (the signing one first)."""
    return {
        "keys": [
            {**k.key.as_dict(private=False), "kid": k.kid, "alg": ALGORITHM, "use": "sig"}
            for k in signing_keys()
        ]
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _assurance(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """What evidence was used, how it was validated (genuine?) and verified (the same person?).

    `type` values follow the OpenID Connect for Identity Assurance vocabulary: `vri` validation of
    a remote image of the document, `bvr` biometric verification against it, remotely.
    """
    outcome = {c["name"]: c["outcome"] for c in checks}
    captures = sorted(name.removeprefix("quality_") for name in outcome if name.startswith("quality_"))
    validation = []
    if "document" in outcome:
        validation.append(
            {
                "type": "vri",
                "check": "document",
                "method": "ICAO 9303 MRZ check digits, expiry and allowed document types",
                "outcome": outcome["document"],
            }
        )
    verification = []
    if "face_match" in outcome:
        verification.append(
            {
                "type": "bvr",
                "check": "face_match",
                "method": "selfie against the document portrait (face embedding distance)",
                "outcome": outcome["face_match"],
            }
        )
    document_ok = outcome.get("document") == "pass"
    face_ok = outcome.get("face_match") == "pass"
    level = "document_and_biometric" if document_ok and face_ok else "document" if document_ok else "none"
    return {
        "level": level,
        "evidence": [{"type": "document", "captures": captures}] if captures else [],
        "validation": validation,
        "verification": verification,
    }


def receipt_claims(
    verification: Verification, *, now: datetime, supersedes: str | None = None
) -> dict[str, Any]:
    checks = [{key: c[key] for key in ("name", "outcome", "reasons")} for c in verification.checks]
    return {
        "iss": settings.TASDEEQ_RECEIPT_ISSUER,
        "sub": verification.subject,  # the tenant's own opaque reference for its user
        "iat": int(now.timestamp()),
        "jti": str(uuid.uuid4()),
        "supersedes": supersedes,
        "verification_id": str(verification.id),
        "tenant": {"id": str(verification.tenant_id), "slug": verification.tenant.slug},
        "livemode": verification.livemode,
        "type": verification.type,
        "outcome": verification.status,
        "decided_at": _iso(verification.decided_at),
        "checks": checks,
        "derived": verification.derived,
        "assurance": _assurance(checks),
        "documents_expire_at": _iso(verification.documents_expire_at),
        "documents_deleted_at": _iso(verification.documents_deleted_at),
    }


def receipt_sign(claims: dict[str, Any]) -> tuple[str, str]:
    """A compact JWS of `claims` under the signing key; returns (jws, kid)."""
    key = signing_keys()[0]
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": RECEIPT_TYPE}
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    return jws.serialize_compact(header, payload, key.key, algorithms=[ALGORITHM]), key.kid


def receipt_issue(*, verification: Verification, now: datetime | None = None) -> Receipt:
    """Sign (or re-sign) the verification's receipt; the caller's transaction holds its row lock."""
    now = now or timezone.now()
    previous = Receipt.objects.filter(verification=verification).first()
    supersedes = None
    if previous is not None:
        supersedes = json.loads(jws.extract_compact(previous.jws.encode()).payload)["jti"]
    token, kid = receipt_sign(receipt_claims(verification, now=now, supersedes=supersedes))
    receipt, _ = Receipt.objects.update_or_create(
        verification=verification, defaults={"kid": kid, "jws": token, "issued_at": now}
    )
    return receipt


def receipt_sync(*, verification: Verification) -> None:
    """Called on every status change (services/events.py): issue on a decision, withdraw on redaction."""
    if verification.status in DECISIONS:
        receipt_issue(verification=verification)
    elif verification.status == Status.REDACTED:
        Receipt.objects.filter(verification=verification).delete()


def receipt_reissue_after_deletion(*, verification: Verification) -> None:
    """The documents are gone: a decided verification's receipt now says when."""
    if verification.status in DECISIONS:
        receipt_issue(verification=verification)
