"""Purging at the TTL: raw documents (wrapped keys first, then the objects), orphans, old records.

Every job is safe on several workers at once (rows are claimed with SKIP LOCKED) and resumable:
deleting a Document row destroys its wrapped key (crypto-shredding) and, in the same transaction,
leaves an ObjectDeletion to-do for its ciphertext, so a run that dies half-way leaves work the next
run finishes, never a readable document. Each job's runs are counted in PurgeRun for /metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from verification.models import Document, Event, ObjectDeletion, PurgeRun, Tenant, Verification
from verification.retention import RetentionPolicy
from verification.services.audit import audit_prune, audit_record, chain_for
from verification.services.documents import (
    document_objects,
    documents_delete_objects,
    documents_shred,
    object_deletions_flush,
)
from verification.services.events import event_record

logger = logging.getLogger(__name__)

RETENTION_ACTOR = "system:retention"
_S3_BATCH = 1000  # DeleteObjects takes at most 1000 keys


@dataclass
class _Tally:
    deleted: int = 0


@contextmanager
def _job(name: str) -> Iterator[_Tally]:
    """Count the run in PurgeRun (one row per job, updated with F() so processes never lose counts)."""
    PurgeRun.objects.get_or_create(job=name)
    PurgeRun.objects.filter(job=name).update(runs=F("runs") + 1, last_started_at=timezone.now())
    tally = _Tally()
    try:
        yield tally
    except BaseException:
        PurgeRun.objects.filter(job=name).update(
            failures=F("failures") + 1, deleted=F("deleted") + tally.deleted
        )
        raise
    PurgeRun.objects.filter(job=name).update(
        deleted=F("deleted") + tally.deleted, last_success_at=timezone.now()
    )


def object_deletions_resume(*, batch_size: int = _S3_BATCH) -> int:
    """Finish deletions that an earlier run committed but did not get to (it died, or S3 failed)."""
    done = 0
    while True:
        with transaction.atomic():
            keys = list(
                ObjectDeletion.objects.select_for_update(skip_locked=True)
                .order_by("created_at")
                .values_list("storage_key", flat=True)[:batch_size]
            )
            if not keys:
                return done
            documents_delete_objects(keys=keys)
            ObjectDeletion.objects.filter(storage_key__in=keys).delete()
        done += len(keys)


def deletion_receipt_issue(*, verification: Verification) -> None:
    """Reissue the signed receipt with `documents_deleted_at` (verification/receipts.py).

    Called in the transaction that records `verification.documents_deleted`.
    """
    from verification.receipts import receipt_reissue_after_deletion

    receipt_reissue_after_deletion(verification=verification)


def _verifications_mark_deleted(*, now: datetime, batch_size: int) -> int:
    """Clear the verified outputs of verifications whose documents are all gone; one event each."""
    marked = 0
    while True:
        with transaction.atomic():
            due = list(
                Verification.objects.select_for_update(skip_locked=True)
                .filter(documents_expire_at__lte=now, documents_deleted_at__isnull=True)
                .exclude(Exists(Document.objects.filter(verification=OuterRef("pk"))))
                .order_by("documents_expire_at")[:batch_size]
            )
            if not due:
                return marked
            for verification in due:
                verification.outputs_ciphertext = None
                verification.outputs_wrapped_key = None
                verification.outputs_key_id = ""
                verification.documents_deleted_at = now
                verification.save(
                    update_fields=[
                        "outputs_ciphertext",
                        "outputs_wrapped_key",
                        "outputs_key_id",
                        "documents_deleted_at",
                        "updated_at",
                    ]
                )
                event_record(verification=verification, type="verification.documents_deleted")
                deletion_receipt_issue(verification=verification)
        marked += len(due)


def documents_purge_expired(*, now: datetime | None = None, batch_size: int = _S3_BATCH) -> int:
    """Delete every document past its `expires_at`, in batches; returns how many went.

    Verified outputs go with the documents, and each verification whose documents are all gone
    gets its `documents_deleted_at` and a `verification.documents_deleted` event.
    """
    now = now or timezone.now()
    purged = 0
    with _job("documents") as tally:
        object_deletions_resume(batch_size=batch_size)
        while True:
            with transaction.atomic():
                batch = (
                    Document.objects.select_for_update(skip_locked=True)
                    .filter(expires_at__lte=now)
                    .order_by("expires_at")[:batch_size]
                )
                keys = documents_shred(documents=batch)
            if not keys:
                break
            object_deletions_flush(keys=keys)
            purged += len(keys)
            tally.deleted = purged
        _verifications_mark_deleted(now=now, batch_size=batch_size)
    if purged:
        logger.info("documents purged count=%d", purged)
    return purged


def orphans_sweep(*, now: datetime | None = None, grace_seconds: int | None = None) -> int:
    """Delete stored objects that no Document row owns (the backstop for every other path).

    An upload writes its object a moment before its row, so only objects older than the grace
    count as orphans.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(
        seconds=settings.ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    )
    swept = 0
    with _job("orphans") as tally:
        listing = (key for key, modified in document_objects() if modified < cutoff)
        while chunk := list(islice(listing, _S3_BATCH)):
            owned = set(Document.objects.filter(storage_key__in=chunk).values_list("storage_key", flat=True))
            orphans = [key for key in chunk if key not in owned]
            if orphans:
                object_deletions_flush(keys=orphans)
                swept += len(orphans)
                tally.deleted = swept
    if swept:
        logger.warning("orphaned objects deleted count=%d", swept)
    return swept


def records_purge_expired(*, now: datetime | None = None) -> int:
    """Delete verifications (outcomes, check codes), events and audit records past the tenant's
    records retention; returns how many verifications went. The audit chain keeps verifying: its
    head remembers where the kept part starts, and the pruning is itself an audit record."""
    now = now or timezone.now()
    removed = 0
    with _job("records") as tally:
        for tenant in Tenant.objects.order_by("slug"):
            removed += _tenant_records_purge(tenant=tenant, now=now)
            tally.deleted = removed
    return removed


def _tenant_records_purge(*, tenant: Tenant, now: datetime) -> int:
    cutoff = now - timedelta(days=RetentionPolicy.for_tenant(tenant).records_retention_days)
    with transaction.atomic():
        old = Verification.objects.filter(tenant=tenant, created_at__lt=cutoff)
        keys = documents_shred(documents=Document.objects.filter(verification__in=old))
        events, _ = Event.objects.filter(tenant=tenant, created_at__lt=cutoff).delete()
        Event.objects.filter(verification__in=old).delete()
        count = old.count()
        old.delete()
        pruned = audit_prune(chain=chain_for(tenant), before=cutoff)
        if count or events or pruned:
            audit_record(
                actor=RETENTION_ACTOR,
                action="records.purged",
                target_type="tenant",
                target_id=str(tenant.pk),
                tenant=tenant,
                details={"verifications": count, "events": events, "audit_records": pruned},
            )
    object_deletions_flush(keys=keys)
    if count:
        logger.info("records purged tenant=%s verifications=%d", tenant.pk, count)
    return count
