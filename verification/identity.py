"""Keyed fingerprints of identity numbers: comparable within a tenant, useless without the pepper."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_digest(message: str) -> str:
    """HMAC-SHA256 of `message` under the deployment's pepper: the one keyed hash of the project.
    Prefix `message` with what it is (`subject|`, `phone|`, ...) so digests of different things never meet."""
    return hmac.new(settings.TASDEEQ_HMAC_PEPPER.encode(), message.encode(), hashlib.sha256).hexdigest()


def identity_digest(*, tenant_id: str, issuing_state: str, document_number: str) -> str:
    message = f"{tenant_id}|{issuing_state.upper()}|{document_number.upper().replace('<', '')}"
    return keyed_digest(message)


def subject_ref(*, tenant_id: str, subject: str) -> str:
    """A keyed hash of a tenant's subject reference: lets the audit trail name an erased subject
    without keeping the reference itself."""
    return keyed_digest(f"subject|{tenant_id}|{subject}")
