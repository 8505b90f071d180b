"""Bearer secrets: high-entropy random strings, stored only as SHA-256 (a slow hash adds nothing here)."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "tdq_live_"
CLIENT_SECRET_PREFIX = "vcs_"  # noqa: S105 - a prefix, not a secret


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
