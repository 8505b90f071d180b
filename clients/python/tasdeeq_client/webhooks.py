"""Verify a webhook: `Tasdeeq-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=...]`.

Pass the raw body bytes as received (not re-serialised JSON). During a secret rotation the header
carries one v1 per live secret; either of your secrets matches. Messages older or newer than
`tolerance` seconds are refused, which bounds replays; drop duplicates by `event.id`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence

from tasdeeq_client.errors import SignatureVerificationError
from tasdeeq_client.models import Event

SIGNATURE_HEADER = "Tasdeeq-Signature"
DEFAULT_TOLERANCE = 300


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureVerificationError("signature_malformed", "the header needs t= and v1=")
    return timestamp, signatures


def webhook_verify(
    payload: bytes,
    header: str | None,
    secret: str | Sequence[str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Event:
    """Return the event if `header` signs `payload` with (one of) `secret`; raise otherwise."""
    if not header:
        raise SignatureVerificationError("signature_missing", f"no {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureVerificationError("signature_stale", "the timestamp is outside the tolerance")
    candidates = [secret] if isinstance(secret, str) else list(secret)
    signed = str(timestamp).encode() + b"." + payload
    for candidate in candidates:
        expected = hmac.new(candidate.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, s) for s in signatures):
            return Event.from_dict(json.loads(payload))
    raise SignatureVerificationError("signature_mismatch", "no signature matches the payload and secret")
