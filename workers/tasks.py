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
from kyc.adapters.base import ProviderError
from verification.selectors import verifications_stuck_in_processing
from verification.services.phone import (
    phone_challenges_expire,
    phone_code_delivery_failed,
    phone_code_send,
)
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


# --- Phone verification (verification/services/phone.py) ----------------------------------------


@shared_task(
    bind=True,
    name="verification.send_phone_code",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_phone_code(self: Task, verification_id: str) -> None:
    """Text the current code. Takes the id only: the number stays sealed in the database."""
    try:
        phone_code_send(verification_id=verification_id)
    except (ProviderError, *TRANSIENT_ERRORS) as exc:
        code = exc.code if isinstance(exc, ProviderError) else type(exc).__name__
        if self.request.retries >= (self.max_retries or 0):
            logger.error("phone code gave up verification=%s error=%s", verification_id, code)
            phone_code_delivery_failed(verification_id=verification_id, error=code)
            return
        countdown = get_exponential_backoff_interval(
            factor=2, retries=self.request.retries, maximum=60, full_jitter=True
        )
        logger.warning("phone code retry verification=%s error=%s", verification_id, code)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="verification.expire_phone_challenges", acks_late=True, soft_time_limit=60, time_limit=90)
def expire_phone_challenges() -> int:
    """Numbers of challenges past PHONE_CHALLENGE_TTL_SECONDS are deleted (their hash stays)."""
    return phone_challenges_expire()


from workers import affiliation_tasks  # noqa: E402,F401  (issue #8: registers the affiliation tasks)

# Webhooks and idempotency (issue #6); imported here because Celery discovers `workers.tasks`.
from workers import webhooks as _webhooks  # noqa: E402,F401
