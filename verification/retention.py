"""When raw documents must be gone: a TTL after the final decision, capped by their upload-time limit.

Per tenant, `Tenant.retention` overrides the defaults (settings): how long documents live after
the decision and at most after upload, how long outcomes, check codes, events and audit records are
kept, and whether duplicate-identity fingerprints survive a subject's erasure (fraud prevention).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from verification.errors import InvalidInput
from verification.models import Tenant, Verification

# The ceiling: documents never live longer than 30 days after upload, whatever a tenant asks.
MAX_DOCUMENT_AGE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    document_ttl_after_decision_seconds: int
    document_max_age_seconds: int
    records_retention_days: int
    keep_fingerprints_on_erasure: bool = False

    @classmethod
    def defaults(cls) -> RetentionPolicy:
        return cls(
            document_ttl_after_decision_seconds=settings.DOCUMENT_TTL_AFTER_DECISION_SECONDS,
            document_max_age_seconds=settings.DOCUMENT_MAX_AGE_SECONDS,
            records_retention_days=settings.RECORDS_RETENTION_DAYS,
        )

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> RetentionPolicy:
        return cls.from_mapping(tenant.retention or {})

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> RetentionPolicy:
        base = asdict(cls.defaults())
        unknown = sorted(set(raw) - set(base))
        if unknown:
            raise InvalidInput("Unknown retention settings.", code="invalid_retention", fields=unknown)
        merged = {**base, **raw}
        try:
            policy = cls(
                document_ttl_after_decision_seconds=int(merged["document_ttl_after_decision_seconds"]),
                document_max_age_seconds=int(merged["document_max_age_seconds"]),
                records_retention_days=int(merged["records_retention_days"]),
                keep_fingerprints_on_erasure=_strict_bool(merged["keep_fingerprints_on_erasure"]),
            )
        except (TypeError, ValueError):
            raise InvalidInput("Retention settings must be numbers.", code="invalid_retention") from None
        if not 0 <= policy.document_ttl_after_decision_seconds <= policy.document_max_age_seconds:
            raise InvalidInput(
                "document_ttl_after_decision_seconds must be between 0 and document_max_age_seconds.",
                code="invalid_retention",
            )
        if not 0 < policy.document_max_age_seconds <= MAX_DOCUMENT_AGE_SECONDS:
            raise InvalidInput(
                "document_max_age_seconds must be positive and at most 30 days.", code="invalid_retention"
            )
        if policy.records_retention_days < 1:
            raise InvalidInput("records_retention_days must be at least 1.", code="invalid_retention")
        return policy


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def retention_start(verification: Verification, *, decided_at: datetime) -> None:
    """Shorten the documents' lives to the post-decision TTL (the caller saves the verification)."""
    policy = RetentionPolicy.for_tenant(verification.tenant)
    ttl_end = decided_at + timedelta(seconds=policy.document_ttl_after_decision_seconds)
    verification.documents_expire_at = min(verification.documents_expire_at, ttl_end)
    verification.documents.filter(expires_at__gt=ttl_end).update(expires_at=ttl_end)


def documents_expiry_at_creation(*, tenant: Tenant, now: datetime) -> datetime:
    """What a new verification shows as `documents_expire_at` before anything is uploaded."""
    return now + timedelta(seconds=RetentionPolicy.for_tenant(tenant).document_max_age_seconds)


def document_expiry_at_upload(*, verification: Verification, now: datetime) -> datetime:
    """A document's end: its max age after upload, never past the verification's promised date."""
    policy = RetentionPolicy.for_tenant(verification.tenant)
    return min(now + timedelta(seconds=policy.document_max_age_seconds), verification.documents_expire_at)
