"""When raw documents must be gone: a TTL after the final decision, capped by their upload-time limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from verification.models import Verification


def retention_start(verification: Verification, *, decided_at: datetime) -> None:
    """Shorten the documents' lives to the post-decision TTL (the caller saves the verification)."""
    ttl_end = decided_at + timedelta(seconds=settings.DOCUMENT_TTL_AFTER_DECISION_SECONDS)
    verification.documents_expire_at = min(verification.documents_expire_at, ttl_end)
    verification.documents.filter(expires_at__gt=ttl_end).update(expires_at=ttl_end)
