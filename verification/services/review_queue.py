"""Keeping the review queue in step with verifications; called from `verification_changed`.

A verification that reaches `needs_review` gets its queue case in the same transaction; one that
leaves it by another road (the tenant cancels) has its open case closed, so nobody reviews a
verification that no longer waits for a person. No imports of events here: events imports this.
"""

from __future__ import annotations

from django.utils import timezone

from verification.models import ReviewCase, ReviewState, Status, Verification
from verification.review_codes import case_priority
from verification.state_machine import FINAL

OPEN_STATES = (ReviewState.OPEN, ReviewState.AWAITING_SECOND, ReviewState.ESCALATED)


def review_queue_sync(*, verification: Verification) -> None:
    """Open or close the verification's case to match its (already saved) status."""
    if verification.status == Status.NEEDS_REVIEW:
        codes = sorted({code for check in verification.checks for code in check.get("reasons", [])})
        ReviewCase.objects.get_or_create(
            verification=verification,
            defaults={
                "tenant_id": verification.tenant_id,
                "priority": case_priority(codes),
                "reason_codes": f",{','.join(codes)}," if codes else "",
                "queued_at": timezone.now(),
            },
        )
    elif verification.status in FINAL:
        ReviewCase.objects.filter(verification=verification, state__in=OPEN_STATES).update(
            state=ReviewState.CLOSED, claimed_by=None, lease_expires_at=None, decided_at=timezone.now()
        )
