"""Outbox events for verification state changes, and the one outcome path every change goes through.

`verification_changed` is called, inside the transaction that saved the change, by every service
that moves a verification (submit, the worker's decision, a reviewer's decision, cancel, redaction):
it writes the outbox event and, for decisions, the audit record. Webhook delivery reads the outbox.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from verification.models import Event, Verification
from verification.services.audit import audit_record
from verification.services.review_queue import review_queue_sync
from verification.state_machine import FINAL

EVENT_TYPES = (
    "verification.processing",
    "verification.requires_input",
    "verification.needs_review",
    "verification.verified",
    "verification.rejected",
    "verification.canceled",
    "verification.redacted",
    "verification.documents_deleted",
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def verification_event_payload(verification: Verification) -> dict[str, Any]:
    """The verification object without personal data (no verified outputs, no scores)."""
    return {
        "id": str(verification.id),
        "object": "verification",
        "livemode": verification.livemode,
        "subject": verification.subject,
        "type": verification.type,
        "status": verification.status,
        "last_error": verification.last_error,
        "checks": [
            {key: check[key] for key in ("name", "outcome", "reasons")} for check in verification.checks
        ],
        "derived": verification.derived,
        "created_at": _iso(verification.created_at),
        "submitted_at": _iso(verification.submitted_at),
        "decided_at": _iso(verification.decided_at),
        "documents_expire_at": _iso(verification.documents_expire_at),
        "documents_deleted_at": _iso(verification.documents_deleted_at),
        "redacted_at": _iso(verification.redacted_at),
    }


def event_record(*, verification: Verification, type: str) -> Event:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    # Callers hold the verification's row lock, so the count is this verification's next number.
    sequence = Event.objects.filter(verification=verification).count() + 1
    event = Event.objects.create(
        tenant_id=verification.tenant_id,
        verification=verification,
        type=type,
        payload=verification_event_payload(verification),
        created_at=timezone.now(),
        livemode=verification.livemode,
        sequence=sequence,
    )
    # Webhooks (issue #6): after the commit, ask a worker to fan the new event out. If the broker
    # is down the row still waits in the outbox and the periodic fan-out picks it up.
    from verification.services.webhooks import webhooks_kick

    transaction.on_commit(webhooks_kick)
    return event


@transaction.atomic
def verification_changed(*, verification: Verification, actor: str) -> Event:
    """Record that `verification` (already saved) reached its current status."""
    # The review queue follows the status in the same transaction (a case per needs_review). First,
    # so that locks are always taken verification -> review case -> audit chain head (no deadlock
    # with a reviewer claiming the case at the same moment).
    review_queue_sync(verification=verification)
    event = event_record(verification=verification, type=f"verification.{verification.status}")
    if verification.status in FINAL or verification.status == "needs_review":
        audit_record(
            actor=actor,
            action=f"verification.{verification.status}",
            target_type="verification",
            target_id=str(verification.id),
            tenant=str(verification.tenant_id),
            details={"codes": sorted({code for c in verification.checks for code in c.get("reasons", [])})},
        )
    # Signed receipts (issue #6): issued on a final decision, withdrawn on redaction.
    from verification.receipts import receipt_sync

    receipt_sync(verification=verification)
    return event
