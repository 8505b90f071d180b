"""Stripe-style webhook signatures: the header format, rotation and the receiver's checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from verification.webhook_signing import (
    SignatureError,
    secret_generate,
    signature_header,
    signature_verify,
)

BODY = b'{"id":"evt_1","type":"verification.verified"}'


def test_header_matches_the_documented_construction() -> None:
    header = signature_header(["whsec_abc"], BODY, timestamp=1_700_000_000)
    expected = hmac.new(b"whsec_abc", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_round_trip() -> None:
    secret = secret_generate()
    assert secret.startswith("whsec_") and len(secret) > 40
    header = signature_header([secret], BODY, timestamp=1000)
    assert signature_verify(header, BODY, secret, now=1100) == 1000


def test_both_secrets_sign_during_rotation() -> None:
    old, new = secret_generate(), secret_generate()
    header = signature_header([new, old], BODY, timestamp=1000)
    assert header.count("v1=") == 2
    assert signature_verify(header, BODY, old, now=1000) == 1000
    assert signature_verify(header, BODY, new, now=1000) == 1000
    with pytest.raises(SignatureError) as caught:
        signature_verify(header, BODY, secret_generate(), now=1000)
    assert caught.value.code == "signature_mismatch"


@pytest.mark.parametrize(
    ("body", "secret", "now", "code"),
    [
        (BODY + b" ", "whsec_a", 1000, "signature_mismatch"),
        (BODY, "whsec_b", 1000, "signature_mismatch"),
        (BODY, "whsec_a", 1000 + 301, "signature_stale"),
        (BODY, "whsec_a", 1000 - 301, "signature_stale"),
    ],
)
def test_receiver_rejects(body: bytes, secret: str, now: int, code: str) -> None:
    header = signature_header(["whsec_a"], BODY, timestamp=1000)
    with pytest.raises(SignatureError) as caught:
        signature_verify(header, body, secret, now=now)
    assert caught.value.code == code


def test_a_resigned_timestamp_does_not_verify() -> None:
    header = signature_header(["whsec_a"], BODY, timestamp=1000)
    replayed = header.replace("t=1000", "t=2000")
    with pytest.raises(SignatureError) as caught:
        signature_verify(replayed, BODY, "whsec_a", now=2000)
    assert caught.value.code == "signature_mismatch"


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1000", "garbage"])
def test_malformed_headers(header: str) -> None:
    with pytest.raises(SignatureError) as caught:
        signature_verify(header, BODY, "whsec_a", now=1000)
    assert caught.value.code == "signature_malformed"
