"""Selectors: read-only queries, always scoped to the caller's tenant."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Min, QuerySet
from django.utils import timezone

from verification.crypto import DecryptionError, Sealed, unseal
from verification.errors import NotFound
from verification.models import ConfirmationRequest, Document, ObjectDeletion, Status, Tenant, Verification


def verification_get(
    *, tenant: Tenant, verification_id: uuid.UUID | str, livemode: bool | None = None
) -> Verification:
    """Another tenant's id is indistinguishable from one that does not exist; so is the other mode's
    (a test key never sees a live verification, nor a live key a test one)."""
    mode = {} if livemode is None else {"livemode": livemode}
    try:
        return Verification.objects.select_related("tenant").get(tenant=tenant, pk=verification_id, **mode)
    except (Verification.DoesNotExist, ValueError, ValidationError):
        raise NotFound("No such verification.", code="verification_not_found") from None


@dataclass(frozen=True, slots=True)
class VerificationFilters:
    status: str | None = None
    type: str | None = None
    subject: str | None = None
    created_gte: datetime | None = None
    created_lt: datetime | None = None


def verification_list(
    *, tenant: Tenant, filters: VerificationFilters, livemode: bool | None = None
) -> QuerySet[Verification]:
    queryset = Verification.objects.filter(tenant=tenant).prefetch_related("documents")
    if livemode is not None:
        queryset = queryset.filter(livemode=livemode)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.type:
        queryset = queryset.filter(type=filters.type)
    if filters.subject:
        queryset = queryset.filter(subject=filters.subject)
    if filters.created_gte:
        queryset = queryset.filter(created_at__gte=filters.created_gte)
    if filters.created_lt:
        queryset = queryset.filter(created_at__lt=filters.created_lt)
    return queryset


def verification_verified_outputs(*, verification: Verification) -> dict[str, Any] | None:
    """The fields read from the document, while the documents live; None once they are gone."""
    if not verification.outputs_ciphertext or verification.outputs_wrapped_key is None:
        return None
    sealed = Sealed(
        ciphertext=bytes(verification.outputs_ciphertext),
        key_id=verification.outputs_key_id,
        wrapped_key=bytes(verification.outputs_wrapped_key),
    )
    try:
        outputs: dict[str, Any] = json.loads(unseal(sealed, context=verification.id.bytes + b"outputs"))
    except DecryptionError:
        return None
    return outputs


def verifications_stuck_in_processing(*, older_than: timedelta) -> list[uuid.UUID]:
    cutoff = timezone.now() - older_than
    return list(
        Verification.objects.filter(status=Status.PROCESSING, submitted_at__lt=cutoff)
        # Issue #8: an affiliation waiting for its organisation's answer is not stuck.
        .exclude(confirmation_request__state="pending")
        .values_list("id", flat=True)
    )


@dataclass(frozen=True, slots=True)
class RetentionLateness:
    """How far the purge is behind: documents and verified outputs still held past their expiry."""

    overdue_documents: int
    oldest_overdue_seconds: float
    overdue_outputs: int
    pending_object_deletions: int


def retention_lateness(*, now: datetime | None = None) -> RetentionLateness:
    now = now or timezone.now()
    overdue = Document.objects.filter(expires_at__lt=now)
    oldest = overdue.aggregate(oldest=Min("expires_at"))["oldest"]
    return RetentionLateness(
        overdue_documents=overdue.count(),
        oldest_overdue_seconds=(now - oldest).total_seconds() if oldest else 0.0,
        overdue_outputs=Verification.objects.filter(
            documents_expire_at__lt=now, outputs_ciphertext__isnull=False
        ).count(),
        pending_object_deletions=ObjectDeletion.objects.count(),
    )


def confirmation_request_verification_id(*, request_id: str) -> uuid.UUID | None:
    """The verification a confirmation request is about (for linking an organisation's kept
    idempotent answer to it); None for a malformed or unknown id."""
    try:
        pk = uuid.UUID(request_id)
    except ValueError:
        return None
    return ConfirmationRequest.objects.filter(pk=pk).values_list("verification_id", flat=True).first()
