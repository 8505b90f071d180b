"""Celery tasks of community affiliation (issue #8): they take ids and call a service."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError

from verification.outbound import OutboundError
from verification.services.affiliation import (
    attestation_submissions_expire,
    confirmation_deliver,
    confirmations_expire,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="affiliation.deliver_confirmation_request",
    acks_late=True,
    max_retries=None,  # bounded by CONFIRMATION_WEBHOOK_MAX_ATTEMPTS below
    soft_time_limit=30,
    time_limit=45,
)
def deliver_confirmation_request(self: Task, request_id: str) -> str:
    try:
        return confirmation_deliver(request_id=request_id)
    except (OutboundError, OperationalError, InterfaceError) as exc:
        permanent = bool(getattr(exc, "permanent", False))
        retries = self.request.retries
        if permanent or retries + 1 >= settings.CONFIRMATION_WEBHOOK_MAX_ATTEMPTS:
            # The request stays pending: the officers can answer it through /v1/org/, and the
            # deadline sends it to review if nobody does.
            logger.warning(
                "confirmation delivery gave up request=%s code=%s", request_id, getattr(exc, "code", "db")
            )
            return "gave_up"
        countdown = get_exponential_backoff_interval(factor=5, retries=retries, maximum=600, full_jitter=True)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="affiliation.expire_confirmations", acks_late=True, soft_time_limit=120, time_limit=150)
def expire_confirmation_requests() -> int:
    """Unanswered requests past their deadline go to review; abandoned tokens past their TTL go."""
    return confirmations_expire() + attestation_submissions_expire()
