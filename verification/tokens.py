"""Bearer secrets: high-entropy random strings, stored only as SHA-256 (a slow hash adds nothing here)."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "tdq_live_"
# Test mode (issue #6): a test key's verifications never reach a paid provider (verification/test_mode.py).
TEST_API_KEY_PREFIX = "tdq_test_"
API_KEY_PREFIXES = (API_KEY_PREFIX, TEST_API_KEY_PREFIX)
CLIENT_SECRET_PREFIX = "vcs_"  # noqa: S105 - a prefix, not a secret


def new_api_key(*, livemode: bool = True) -> str:
    return (API_KEY_PREFIX if livemode else TEST_API_KEY_PREFIX) + secrets.token_urlsafe(32)


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
