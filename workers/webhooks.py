"""Webhook and idempotency tasks (issue #6): they take ids and call services/webhooks.py."""

from __future__ import annotations

from celery import shared_task

from verification.services.idempotency import idempotency_records_purge
from verification.services.webhooks import (
    webhook_deliveries_enqueue_due,
    webhook_delivery_attempt,
    webhooks_fanout,
)


@shared_task(name="webhooks.fanout", acks_late=True, soft_time_limit=120, time_limit=150)
def fanout_webhooks() -> int:
    """Queued after each committed change, and run periodically to drain what an outage left."""
    return len(webhooks_fanout())


@shared_task(name="webhooks.deliver", acks_late=True, soft_time_limit=60, time_limit=90)
def deliver_webhook(delivery_id: str) -> str | None:
    # One attempt per task: the next one is scheduled in the database (next_attempt_at), not in the
    # broker, so retries over three days survive broker restarts and are visible in the log.
    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.deliver_due", acks_late=True, soft_time_limit=60, time_limit=90)
def deliver_due_webhooks() -> int:
    return webhook_deliveries_enqueue_due()


@shared_task(name="idempotency.purge", acks_late=True, soft_time_limit=300, time_limit=330)
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
