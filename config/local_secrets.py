"""Secrets for the embedded local run: generated once into DATA_DIR, never used in production.

Production must pass every secret through the environment; `config.settings.security` refuses to
start otherwise, so a forgotten variable can never silently fall back to a file on one host.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

_FILE_NAME = "local-secrets.json"


def _generate() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "TASDEEQ_MASTER_KEYS": "local1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "TASDEEQ_HMAC_PEPPER": secrets.token_urlsafe(32),
    }


def load_or_create(directory: Path) -> dict[str, str]:
    path = directory / _FILE_NAME
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    directory.mkdir(parents=True, exist_ok=True)
    values = _generate()
    # O_EXCL: when the web process and the worker start together, exactly one of them writes.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create(directory)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return values


_RECEIPT_KEYS_FILE = "receipt-keys.txt"


def receipt_keys_load_or_create(directory: Path) -> str:
    """The local run's Ed25519 receipt signing key ("kid:base64 seed"), generated once (issue #6)."""
    path = directory / _RECEIPT_KEYS_FILE
    if path.exists():
        return path.read_text().strip()
    directory.mkdir(parents=True, exist_ok=True)
    value = f"local-{secrets.token_hex(4)}:" + base64.b64encode(secrets.token_bytes(32)).decode()
    # Written aside then linked into place: a process starting at the same moment sees either no
    # file or the whole key, never an empty one.
    temporary = directory / f".{_RECEIPT_KEYS_FILE}.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(temporary, path)
    except FileExistsError:
        value = path.read_text().strip()
    finally:
        temporary.unlink()
    return value
