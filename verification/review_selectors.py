"""Reads for the review queue: the queue listing, a case's full picture, queue health.

Each is scoped by the reviewer: a tenant's reviewer never reads another tenant's cases.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from verification.models import (
    Document,
    ReviewCase,
    ReviewDecision,
    Reviewer,
    ReviewState,
    Status,
    Verification,
)
from verification.selectors import verification_verified_outputs
from verification.services.review import QueueFilters, apply_filters, visible_cases
from verification.services.review_queue import OPEN_STATES

AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("lt_1h", timedelta(hours=1)),
    ("1h_4h", timedelta(hours=4)),
    ("4h_24h", timedelta(hours=24)),
    ("gt_24h", None),
)
HEALTH_WINDOW = timedelta(days=30)


def review_queue(*, reviewer: Reviewer, filters: QueueFilters) -> QuerySet[ReviewCase]:
    """Waiting cases in the order claiming takes them: priority, then age."""
    return (
        apply_filters(visible_cases(reviewer), filters, timezone.now())
        .filter(state__in=OPEN_STATES, verification__status=Status.NEEDS_REVIEW)
        .select_related("tenant", "claimed_by__user")
        .order_by("-priority", "queued_at", "id")
    )


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: ReviewCase
    verification: Verification
    documents: list[Document]
    documents_purged: bool
    verified_outputs: dict[str, Any] | None
    earlier_attempts: list[Verification]
    decisions: list[ReviewDecision] = field(default_factory=list)


def review_case_detail(*, case: ReviewCase) -> CaseDetail:
    verification = Verification.objects.select_related("tenant").get(pk=case.verification_id)
    documents = sorted(
        verification.documents.all(), key=lambda d: ["id_front", "id_back", "selfie"].index(d.kind)
    )
    earlier = list(
        Verification.objects.filter(
            tenant_id=verification.tenant_id, subject=verification.subject, livemode=verification.livemode
        )
        .exclude(pk=verification.pk)
        .order_by("-created_at")[:20]
    )
    return CaseDetail(
        case=case,
        verification=verification,
        documents=documents,
        documents_purged=verification.documents_deleted_at is not None or not documents,
        verified_outputs=verification_verified_outputs(verification=verification),
        earlier_attempts=earlier,
        decisions=list(case.decisions.select_related("reviewer__user").order_by("created_at")),
    )


def _age_bucket(age: timedelta) -> str:
    for name, limit in AGE_BUCKETS:
        if limit is None or age < limit:
            return name
    return AGE_BUCKETS[-1][0]


def review_health(*, reviewer: Reviewer, now: datetime | None = None) -> dict[str, Any]:
    """Counts by state and age, the oldest waiting case, median time to decision per reviewer."""
    now = now or timezone.now()
    cases = visible_cases(reviewer)
    by_state = {state: 0 for state in ReviewState.values}
    for row in cases.values("state").annotate(n=Count("id")):
        by_state[row["state"]] = row["n"]
    waiting = cases.filter(state__in=OPEN_STATES, verification__status=Status.NEEDS_REVIEW)
    by_age = {name: 0 for name, _ in AGE_BUCKETS}
    for queued_at in waiting.values_list("queued_at", flat=True):
        by_age[_age_bucket(now - queued_at)] += 1
    oldest = waiting.order_by("queued_at").first()
    held = waiting.filter(claimed_by__isnull=False, lease_expires_at__gt=now).count()

    durations: dict[Reviewer, list[float]] = {}
    decisions = ReviewDecision.objects.filter(
        case__in=cases, created_at__gte=now - HEALTH_WINDOW, claimed_at__isnull=False
    ).select_related("reviewer__user")
    for decision in decisions:
        assert decision.claimed_at is not None
        seconds = (decision.created_at - decision.claimed_at).total_seconds()
        durations.setdefault(decision.reviewer, []).append(seconds)
    reviewers = [
        {
            "reviewer": str(person.id),
            "username": person.user.username,
            "decisions": len(values),
            "median_seconds_to_decision": round(statistics.median(values), 1),
        }
        for person, values in sorted(durations.items(), key=lambda item: item[0].user.username)
    ]
    # From entering the queue to the final decision, for cases decided in the window.
    waits = [
        (decided_at - queued_at).total_seconds()
        for queued_at, decided_at in cases.filter(
            state=ReviewState.DECIDED, decided_at__gte=now - HEALTH_WINDOW
        ).values_list("queued_at", "decided_at")
        if decided_at is not None
    ]
    return {
        "by_state": by_state,
        "median_seconds_queue_to_decision": round(statistics.median(waits), 1) if waits else None,
        "waiting": sum(by_age.values()),
        "held": held,
        "waiting_by_age": by_age,
        "oldest_waiting": None
        if oldest is None
        else {
            "case": str(oldest.id),
            "queued_at": oldest.queued_at.isoformat(),
            "age_seconds": int((now - oldest.queued_at).total_seconds()),
        },
        "reviewers": reviewers,
        "window_days": HEALTH_WINDOW.days,
    }
