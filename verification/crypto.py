"""Envelope encryption for documents and other sensitive blobs.

Each blob gets its own random AES-256-GCM data key. The data key is wrapped (RFC 3394 AES key wrap)
by a master key that never leaves settings; only the wrapped key is stored, beside the metadata.
`KeyWrapper` is the seam for a KMS: a KMS-backed wrapper implements the same two methods.
Destroying the wrapped key makes the ciphertext unreadable wherever copies of it survive.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_NONCE_BYTES = 12


class DecryptionError(Exception):
    """The blob cannot be opened: wrong key, destroyed key or tampered ciphertext."""


@dataclass(frozen=True, slots=True)
class Sealed:
    ciphertext: bytes  # nonce || AES-GCM ciphertext and tag
    key_id: str
    wrapped_key: bytes


class KeyWrapper(Protocol):
    def wrap(self, data_key: bytes) -> tuple[str, bytes]: ...

    def unwrap(self, key_id: str, wrapped_key: bytes) -> bytes: ...


class LocalKeyWrapper:
    """Master keys from settings: the first wraps, all of them unwrap (rotation without re-encryption)."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ImproperlyConfigured("TASDEEQ_MASTER_KEYS holds no key.")
        self._active_id = keys[0][0]
        self._keys = dict(keys)

    @classmethod
    def from_setting(cls, value: str) -> LocalKeyWrapper:
        keys = []
        for item in value.split(","):
            key_id, _, encoded = item.strip().partition(":")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise ImproperlyConfigured("TASDEEQ_MASTER_KEYS: a key is not valid base64.") from exc
            if not key_id or len(key) != 32:
                raise ImproperlyConfigured("TASDEEQ_MASTER_KEYS entries must be 'id:<32 bytes, base64>'.")
            keys.append((key_id, key))
        return cls(keys)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        return self._active_id, aes_key_wrap(self._keys[self._active_id], data_key)

    def unwrap(self, key_id: str, wrapped_key: bytes) -> bytes:
        master = self._keys.get(key_id)
        if master is None:
            raise DecryptionError("The master key that wrapped this data key is not configured.")
        try:
            return aes_key_unwrap(master, wrapped_key)
        except InvalidUnwrap as exc:
            raise DecryptionError("The data key cannot be unwrapped.") from exc


@cache
def _wrapper_for(kind: str, value: str) -> KeyWrapper:
    if kind == "local":
        return LocalKeyWrapper.from_setting(value)
    raise ImproperlyConfigured(f"Unknown TASDEEQ_KEY_WRAPPER '{kind}'.")


def key_wrapper() -> KeyWrapper:
    return _wrapper_for(settings.TASDEEQ_KEY_WRAPPER, settings.TASDEEQ_MASTER_KEYS)


def seal(plaintext: bytes, *, context: bytes) -> Sealed:
    """Encrypt under a fresh data key. `context` (e.g. the record id) is bound as associated data."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, context)
    key_id, wrapped = key_wrapper().wrap(data_key)
    return Sealed(ciphertext=ciphertext, key_id=key_id, wrapped_key=wrapped)


def unseal(sealed: Sealed, *, context: bytes) -> bytes:
    data_key = key_wrapper().unwrap(sealed.key_id, bytes(sealed.wrapped_key))
    nonce, body = sealed.ciphertext[:_NONCE_BYTES], sealed.ciphertext[_NONCE_BYTES:]
    try:
        return AESGCM(data_key).decrypt(nonce, body, context)
    except Exception as exc:  # cryptography raises InvalidTag; anything else is as fatal
        raise DecryptionError("The ciphertext does not authenticate.") from exc
