"""Webhook signatures, in the scheme Stripe uses, so receivers can reuse what they know.

The header is `Tasdeeq-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. During
a secret rotation the header carries one `v1=` per live secret, so a receiver holding either the old
or the new secret accepts the message. The timestamp is signed too: a receiver rejects a message
whose timestamp is further than the tolerance from its clock, which bounds replays.

Receivers (and `tasdeeq-client`) verify with this, in any language:

    t, sigs = parse(header)                       # "t=..." and every "v1=..."
    expected = hex(hmac_sha256(secret, f"{t}." + raw_body))
    ok = abs(now - t) <= 300 and any(constant_time_equal(expected, s) for s in sigs)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as token_source
import time
from collections.abc import Sequence
from dataclasses import dataclass

HEADER = "Tasdeeq-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class SignatureError(Exception):
    """Why a signature was refused; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    timestamp: int
    signatures: tuple[str, ...]


def secret_generate() -> str:
    return SECRET_PREFIX + token_source.token_urlsafe(32)


def signature_compute(secret: str, body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body`, signed with every secret in `secrets` (newest first)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    stamp = int(time.time()) if timestamp is None else timestamp
    parts = [f"t={stamp}"] + [f"{SCHEME}={signature_compute(secret, body, stamp)}" for secret in secrets]
    return ",".join(parts)


def signature_parse(header: str) -> ParsedSignature:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit():
                raise SignatureError("signature_malformed", "the timestamp is not a number")
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("signature_malformed", f"the header needs t= and {SCHEME}=")
    return ParsedSignature(timestamp=timestamp, signatures=tuple(signatures))


def signature_verify(
    header: str,
    body: bytes,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check `header` against `body` and `secret`; return the signed timestamp or raise SignatureError."""
    parsed = signature_parse(header)
    current = time.time() if now is None else now
    if abs(current - parsed.timestamp) > tolerance:
        raise SignatureError("signature_stale", "the timestamp is outside the tolerance")
    expected = signature_compute(secret, body, parsed.timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in parsed.signatures):
        raise SignatureError("signature_mismatch", "no signature matches the body and secret")
    return parsed.timestamp
