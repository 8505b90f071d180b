"""Normalising and hashing identity fields so a provider's reading can be compared with the MRZ's.

The digests are compared in memory and never stored: a keyed digest of a birth date is guessable by
anyone holding the pepper, and the same document would hash alike across tenants. The call log keeps
only whether each field agreed (kyc/adapters/base.py IdCrossCheck)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings

# Fields compared between a provider's reading of the document and the MRZ.
COMPARED_FIELDS = ("document_number", "birth_date", "expiry_date", "surname")

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def normalise(name: str, value: str) -> str:
    """Upper-case ASCII letters and digits only; dates stay ISO (YYYY-MM-DD)."""
    if name in {"birth_date", "expiry_date"}:
        return value[:10]
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("", ascii_value.upper().replace("<", ""))


def field_digest(name: str, value: str) -> str:
    message = f"id_field|{name}|{normalise(name, value)}"
    return hmac.new(settings.TASDEEQ_HMAC_PEPPER.encode(), message.encode(), hashlib.sha256).hexdigest()
