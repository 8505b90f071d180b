"""Celery tasks: they take ids, load, and call a service. Retries and time limits live here."""

from __future__ import annotations

import logging
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

import workers.signals  # noqa: F401  (connects the model warm-up)
from verification.selectors import verifications_stuck_in_processing
from verification.services.processing import verification_process, verification_processing_failed
from verification.services.retention import documents_purge_expired, orphans_sweep, records_purge_expired

logger = logging.getLogger(__name__)

STUCK_AFTER_MINUTES = 10

# Failures worth another try: the database, the object store or the network hiccuped, or a run was slow.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    BotoCoreError,
    ClientError,
    ConnectionError,
    TimeoutError,
    SoftTimeLimitExceeded,
)


@shared_task(
    bind=True,
    name="verification.process",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def process_verification(self: Task, verification_id: str) -> str | None:
    try:
        return verification_process(verification_id=verification_id)
    except TRANSIENT_ERRORS as exc:
        retries = self.request.retries
        if retries >= (self.max_retries or 0):
            logger.error("process gave up verification=%s error=%s", verification_id, type(exc).__name__)
            verification_processing_failed(verification_id=verification_id)
            return None
        countdown = get_exponential_backoff_interval(factor=2, retries=retries, maximum=120, full_jitter=True)
        logger.warning(
            "process retry verification=%s error=%s attempt=%d",
            verification_id,
            type(exc).__name__,
            retries + 1,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="retention.purge_documents", acks_late=True, soft_time_limit=600, time_limit=660)
def purge_expired_documents() -> int:
    return documents_purge_expired()


@shared_task(name="verification.requeue_stuck", acks_late=True, soft_time_limit=60, time_limit=90)
def requeue_stuck_verifications() -> int:
    """A run whose message was lost (broker restart, worker killed past retries) is queued again."""
    stuck = verifications_stuck_in_processing(older_than=timedelta(minutes=STUCK_AFTER_MINUTES))
    for verification_id in stuck:
        process_verification.delay(str(verification_id))
    return len(stuck)


@shared_task(name="retention.sweep_orphans", acks_late=True, soft_time_limit=600, time_limit=660)
def sweep_orphaned_objects() -> int:
    """The backstop: objects no row owns (a purge that died before S3 answered, a failed upload)."""
    return orphans_sweep()


@shared_task(name="retention.purge_records", acks_late=True, soft_time_limit=1800, time_limit=1860)
def purge_expired_records() -> int:
    """Outcomes, events and audit records past the tenants' records retention (5 years by default)."""
    return records_purge_expired()


from workers import affiliation_tasks  # noqa: E402,F401  (issue #8: registers the affiliation tasks)
