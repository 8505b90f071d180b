"""TOTP second factor (RFC 6238 through pyotp): 30-second steps, one step of drift, no replay.

`matching_step` returns which time step a code belongs to, so the caller can refuse any code whose
step is not newer than the last one accepted: the same code twice, or an older code after a newer
one, both fail. The enrolment QR code is rendered here, server-side (segno), never by a third party.
"""

from __future__ import annotations

import hmac
import io
import time

import pyotp
import segno

STEP_SECONDS = 30
DRIFT_STEPS = 1
DIGITS = 6


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, *, name: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS, digits=DIGITS).provisioning_uri(
        name=name, issuer_name=issuer
    )


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step (now, one before or one after) whose code equals `code`, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS, digits=DIGITS)
    step = current_step(now)
    found = None
    # Compare every candidate (constant work whichever one matches).
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            found = candidate
    return found


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()
