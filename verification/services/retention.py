"""Purging raw documents at their TTL: the wrapped keys first (crypto-shredding), then the objects."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from verification.models import Document, Verification
from verification.services.documents import documents_delete_objects

logger = logging.getLogger(__name__)


def documents_purge_expired(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete every document past its `expires_at`, in batches; returns how many went.

    Safe on several workers at once (rows are claimed with SKIP LOCKED) and resumable: a run that
    dies half-way leaves only rows that the next run picks up, or objects whose keys are already
    destroyed. Verified outputs go with the documents.
    """
    now = now or timezone.now()
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Document.objects.select_for_update(skip_locked=True)
                .filter(expires_at__lte=now)
                .order_by("expires_at")
                .values_list("pk", "storage_key")[:batch_size]
            )
            if not batch:
                break
            Document.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        documents_delete_objects(keys=[key for _, key in batch])
        purged += len(batch)
    with transaction.atomic():
        Verification.objects.filter(documents_expire_at__lte=now, documents_deleted_at__isnull=True).update(
            outputs_ciphertext=None, outputs_wrapped_key=None, outputs_key_id="", documents_deleted_at=now
        )
    if purged:
        logger.info("documents purged count=%d", purged)
    return purged
