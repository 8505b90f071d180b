"""The review queue's writes: claim, renew, release, reassign, decide; four-eyes rules; image access.

Claiming takes the first free case in priority-then-age order with `SELECT ... FOR UPDATE SKIP
LOCKED`: two reviewers claiming at once lock different rows and never wait for or take the same
case. A lease past its expiry counts as free, so an abandoned case comes back without a sweeper.
Every write is audited; a final decision moves the verification through the state machine and the
same `verification_changed` outcome path as the worker's decision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from verification.errors import Forbidden, Gone, InvalidInput, InvalidState, NotFound
from verification.models import (
    Document,
    FourEyesRule,
    ReviewCase,
    ReviewDecision,
    ReviewDecisionKind,
    Reviewer,
    ReviewState,
    Status,
    Tenant,
    Verification,
)
from verification.retention import retention_start
from verification.review_codes import REASONS_BY_CODE, REJECT_CODES
from verification.services.audit import audit_record
from verification.services.documents import document_read
from verification.services.events import verification_changed
from verification.state_machine import transition

_IMAGE_SALT = "tasdeeq.review.image"
NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class QueueFilters:
    tenant_slug: str | None = None
    reason_code: str | None = None
    # Only cases waiting at least this long (seconds), e.g. to work the backlog's oldest first.
    min_age_seconds: int | None = None
    # Test-mode cases (a tenant's integration tests) are a queue of their own: never mixed with live.
    livemode: bool = True


@dataclass(frozen=True, slots=True)
class DecisionOutcome:
    case: ReviewCase
    verification_status: str
    stage: str  # "final" | "awaiting_second" | "escalated"


def actor_of(reviewer: Reviewer) -> str:
    return f"reviewer:{reviewer.id}"


def _tenant_ref(case: ReviewCase) -> str:
    return str(case.tenant_id)


def _audit(reviewer: Reviewer, action: str, case: ReviewCase, **details: object) -> None:
    audit_record(
        actor=actor_of(reviewer),
        action=action,
        target_type="review_case",
        target_id=str(case.id),
        tenant=_tenant_ref(case),
        details={"verification": str(case.verification_id), **details},
    )


def visible_cases(reviewer: Reviewer) -> QuerySet[ReviewCase]:
    """A tenant's reviewer sees that tenant's cases only; an operator reviewer sees all."""
    cases = ReviewCase.objects.all()
    return cases if reviewer.is_operator else cases.filter(tenant=reviewer.tenant)


def apply_filters(cases: QuerySet[ReviewCase], filters: QueueFilters, now: datetime) -> QuerySet[ReviewCase]:
    cases = cases.filter(verification__livemode=filters.livemode)
    if filters.tenant_slug:
        cases = cases.filter(tenant__slug=filters.tenant_slug)
    if filters.reason_code:
        cases = cases.filter(reason_codes__contains=f",{filters.reason_code},")
    if filters.min_age_seconds:
        cases = cases.filter(queued_at__lte=now - timedelta(seconds=filters.min_age_seconds))
    return cases


def _lease_free(now: datetime) -> Q:
    return Q(claimed_by__isnull=True) | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)


def _holds(case: ReviewCase, reviewer: Reviewer, now: datetime) -> bool:
    return (
        case.claimed_by_id == reviewer.id
        and case.lease_expires_at is not None
        and case.lease_expires_at > now
    )


def _lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.REVIEW_LEASE_SECONDS)


def _release(case: ReviewCase, reviewer: Reviewer, *, why: str) -> None:
    case.claimed_by = None
    case.claimed_at = None
    case.lease_expires_at = None
    case.save(update_fields=["claimed_by", "claimed_at", "lease_expires_at"])
    _audit(reviewer, "review.released", case, why=why)


def held_case(*, reviewer: Reviewer) -> ReviewCase | None:
    now = timezone.now()
    return (
        ReviewCase.objects.filter(claimed_by=reviewer, lease_expires_at__gt=now)
        .exclude(state__in=[ReviewState.DECIDED, ReviewState.CLOSED])
        .first()
    )


@transaction.atomic
def review_claim_next(
    *, reviewer: Reviewer, filters: QueueFilters | None = None, release_current: bool = False
) -> ReviewCase | None:
    """The reviewer's case: the one they hold, or else the next free one, now leased to them.

    With `release_current` ("next"), the held case goes back to the queue first and is skipped.
    Returns None when nothing claimable is left.
    """
    now = timezone.now()
    skipped: list[uuid.UUID] = []
    for current in ReviewCase.objects.select_for_update().filter(
        claimed_by=reviewer, lease_expires_at__gt=now
    ):
        if not release_current and current.state not in (ReviewState.DECIDED, ReviewState.CLOSED):
            return current
        skipped.append(current.id)
        _release(current, reviewer, why="next")
    states = [ReviewState.OPEN, ReviewState.AWAITING_SECOND]
    if reviewer.is_lead:
        states.append(ReviewState.ESCALATED)
    candidates = (
        apply_filters(visible_cases(reviewer), filters or QueueFilters(), now)
        .filter(_lease_free(now), state__in=states, verification__status=Status.NEEDS_REVIEW)
        # Four eyes: whoever already decided on a case cannot be its second pair.
        .exclude(id__in=ReviewDecision.objects.filter(reviewer=reviewer).values("case_id"))
        .exclude(id__in=skipped)
        .order_by("-priority", "queued_at", "id")
        .select_for_update(skip_locked=True, of=("self",))
    )
    case = candidates.first()
    if case is None:
        return None
    expired_holder = case.claimed_by_id
    case.claimed_by = reviewer
    case.claimed_at = now
    case.lease_expires_at = _lease_until(now)
    case.save(update_fields=["claimed_by", "claimed_at", "lease_expires_at"])
    _audit(
        reviewer,
        "review.claimed",
        case,
        state=case.state,
        previous_holder=f"reviewer:{expired_holder}" if expired_holder else None,
    )
    return case


def _locked_case(reviewer: Reviewer, case_id: uuid.UUID | str, *, lock: bool = True) -> ReviewCase:
    cases = visible_cases(reviewer)
    if lock:
        cases = cases.select_for_update(of=("self",))
    try:
        case = cases.filter(pk=case_id).first()
    except (ValueError, ValidationError):  # a malformed id is just "no such case"
        case = None
    if case is None:
        raise NotFound("No such review case.", code="review_case_not_found")
    return case


def _require_lease(case: ReviewCase, reviewer: Reviewer, now: datetime) -> None:
    if not _holds(case, reviewer, now):
        raise InvalidState(
            "Claim this case first: you do not hold its lease (or it expired).", code="review_lease_not_held"
        )


@transaction.atomic
def review_case_touch(*, reviewer: Reviewer, case_id: uuid.UUID | str, view: bool = False) -> ReviewCase:
    """Activity on a held case renews its lease; a view of the case is audited."""
    now = timezone.now()
    case = _locked_case(reviewer, case_id)
    _require_lease(case, reviewer, now)
    case.lease_expires_at = _lease_until(now)
    case.save(update_fields=["lease_expires_at"])
    if view:
        _audit(reviewer, "review.case_viewed", case)
    return case


@transaction.atomic
def review_release(*, reviewer: Reviewer, case_id: uuid.UUID | str) -> ReviewCase:
    now = timezone.now()
    case = _locked_case(reviewer, case_id)
    _require_lease(case, reviewer, now)
    _release(case, reviewer, why="released")
    return case


def reviewers_for_case(*, lead: Reviewer, case: ReviewCase) -> QuerySet[Reviewer]:
    """Whom `lead` may hand `case` to: the case's tenant's reviewers, and (for an operator lead only)
    operator reviewers. A tenant's lead never learns who works for another tenant or the operator."""
    scope = Q(tenant_id=case.tenant_id)
    if lead.is_operator:
        scope |= Q(tenant__isnull=True)
    return (
        Reviewer.objects.select_related("user", "tenant")
        .filter(scope, user__is_active=True)
        .order_by("user__username")
    )


@transaction.atomic
def review_reassign(*, lead: Reviewer, case_id: uuid.UUID | str, to_username: str) -> ReviewCase:
    """A lead hands a case to another reviewer, who holds a fresh lease on it."""
    if not lead.is_lead:
        raise Forbidden("Only a lead may reassign cases.", code="lead_required")
    now = timezone.now()
    case = _locked_case(lead, case_id)
    if case.state in (ReviewState.DECIDED, ReviewState.CLOSED):
        raise InvalidState("This case is already decided.", code="review_case_decided")
    target = reviewers_for_case(lead=lead, case=case).filter(user__username=to_username).first()
    if target is None:
        raise NotFound("No such reviewer.", code="reviewer_not_found")
    if case.decisions.filter(reviewer=target).exists():
        raise InvalidState("That reviewer already decided this case.", code="second_reviewer_required")
    if case.state == ReviewState.ESCALATED and not target.is_lead:
        raise Forbidden("Reviewers disagreed on this case: only a lead can take it.", code="lead_required")
    active = case.lease_expires_at is not None and case.lease_expires_at > now
    previous = case.claimed_by_id if active else None
    case.claimed_by = target
    case.claimed_at = now
    case.lease_expires_at = _lease_until(now)
    case.save(update_fields=["claimed_by", "claimed_at", "lease_expires_at"])
    _audit(
        lead,
        "review.reassigned",
        case,
        to=actor_of(target),
        previous_holder=f"reviewer:{previous}" if previous else None,
    )
    return case


def four_eyes_required(*, tenant_id: uuid.UUID, reason_code: str) -> bool:
    return FourEyesRule.objects.filter(
        Q(tenant_id=tenant_id) | Q(tenant__isnull=True), reason_code=reason_code
    ).exists()


@transaction.atomic
def four_eyes_rule_set(*, lead: Reviewer, reason_code: str, required: bool, tenant: Tenant | None) -> None:
    """Require (or stop requiring) a second reviewer for rejections with `reason_code`.

    A tenant's lead sets rules for that tenant only; an operator lead for any tenant, or for all
    (tenant None).
    """
    if not lead.is_lead:
        raise Forbidden("Only a lead may change four-eyes rules.", code="lead_required")
    if reason_code not in REJECT_CODES:
        raise InvalidInput("Four-eyes rules apply to rejection codes.", code="unknown_reason_code")
    if not lead.is_operator:
        if tenant is not None and tenant.pk != lead.tenant_id:
            raise Forbidden("A tenant's lead sets rules for that tenant only.", code="permission_denied")
        tenant = lead.tenant
    rules = FourEyesRule.objects.filter(tenant=tenant, reason_code=reason_code)
    if required and not rules.exists():
        FourEyesRule.objects.create(tenant=tenant, reason_code=reason_code, created_by=lead)
    elif not required:
        rules.delete()
    audit_record(
        actor=actor_of(lead),
        action="review.four_eyes_rule_set",
        target_type="four_eyes_rule",
        target_id=reason_code,
        tenant=tenant,
        details={"reason_code": reason_code, "required": required},
    )


def _finalize(
    case: ReviewCase,
    verification: Verification,
    reviewer: Reviewer,
    decision: str,
    reason_code: str,
    now: datetime,
) -> None:
    reason = REASONS_BY_CODE[reason_code]
    approve = decision == ReviewDecisionKind.APPROVE
    transition(verification, Status.VERIFIED if approve else Status.REJECTED)
    verification.decided_at = now
    retention_start(verification, decided_at=now)
    verification.checks = [
        *verification.checks,
        {
            "name": "manual_review",
            "outcome": "pass" if approve else "fail",
            "reasons": [] if approve else [reason_code],
            "scores": {},
            "duration_ms": 0.0,
        },
    ]
    verification.last_error = (
        None
        if approve
        else {"code": reason_code, "message": reason.message, "retryable": False, "step": None}
    )
    verification.save()
    case.state = ReviewState.DECIDED
    case.decided_at = now
    case.claimed_by = None
    case.lease_expires_at = None
    case.save(update_fields=["state", "decided_at", "claimed_by", "lease_expires_at"])
    verification_changed(verification=verification, actor=actor_of(reviewer))


@transaction.atomic
def review_decide(
    *, reviewer: Reviewer, case_id: uuid.UUID | str, decision: str, reason_code: str, note: str = ""
) -> DecisionOutcome:
    """Approve or reject the held case. See README "Review" for the four-eyes stages."""
    reason = REASONS_BY_CODE.get(reason_code)
    if reason is None:
        raise InvalidInput(
            "Unknown reason code.", code="unknown_reason_code", allowed=sorted(REASONS_BY_CODE)
        )
    if reason.decision != decision:
        raise InvalidInput(
            f"The reason code '{reason_code}' does not go with '{decision}'.", code="reason_code_mismatch"
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidInput("The note is too long.", code="note_too_long", max_length=NOTE_MAX_LENGTH)
    now = timezone.now()
    # Lock order: verification, then case, then (in the audit) the chain head, as every other writer.
    verification_id = _locked_case(reviewer, case_id, lock=False).verification_id
    verification = Verification.objects.select_for_update().get(pk=verification_id)
    case = _locked_case(reviewer, case_id)
    _require_lease(case, reviewer, now)
    if verification.status != Status.NEEDS_REVIEW:
        raise InvalidState(
            f"A verification in status '{verification.status}' is not waiting for a review.",
            status=verification.status,
        )
    if case.decisions.filter(reviewer=reviewer).exists():
        raise InvalidState("A different reviewer must make this decision.", code="second_reviewer_required")
    if case.state == ReviewState.ESCALATED and not reviewer.is_lead:
        raise Forbidden("Reviewers disagreed on this case: a lead decides.", code="lead_required")

    stage = "final"
    if case.state == ReviewState.OPEN and decision == ReviewDecisionKind.REJECT:
        if four_eyes_required(tenant_id=case.tenant_id, reason_code=reason_code):
            stage = ReviewState.AWAITING_SECOND
    elif (
        case.state == ReviewState.AWAITING_SECOND
        and decision == ReviewDecisionKind.APPROVE
        and not reviewer.is_lead
    ):
        # The second reviewer disagrees with the first rejection: a lead's approval overrules it,
        # anyone else's sends the case to a lead.
        stage = ReviewState.ESCALATED
    ReviewDecision.objects.create(
        case=case,
        reviewer=reviewer,
        decision=decision,
        reason_code=reason_code,
        note=note,
        final=stage == "final",
        claimed_at=case.claimed_at,
        created_at=now,
    )
    _audit(
        reviewer,
        "review.decided",
        case,
        decision=decision,
        reason_code=reason_code,
        stage=str(stage),
        from_state=case.state,
        has_note=bool(note),
    )
    if stage == "final":
        _finalize(case, verification, reviewer, decision, reason_code, now)
    else:
        case.state = stage
        case.save(update_fields=["state"])
        _release(case, reviewer, why=str(stage))
    return DecisionOutcome(case=case, verification_status=verification.status, stage=str(stage))


# --- Image access ----------------------------------------------------------------------------------


def image_token(*, reviewer: Reviewer, document: Document) -> str:
    """A signed, short-lived reference to one document for one reviewer (goes into the image URL)."""
    return signing.TimestampSigner(salt=_IMAGE_SALT).sign_object(
        {"d": str(document.id), "r": str(reviewer.id)}
    )


@transaction.atomic
def review_image_read(*, reviewer: Reviewer, token: str) -> tuple[bytes, str]:
    """Decrypt the image behind `token` for the reviewer who holds the case's lease; audited."""
    signer = signing.TimestampSigner(salt=_IMAGE_SALT)
    try:
        payload = signer.unsign_object(token, max_age=settings.REVIEW_IMAGE_URL_TTL_SECONDS)
    except signing.SignatureExpired:
        raise Forbidden("This image link has expired; reload the case.", code="image_url_expired") from None
    except signing.BadSignature:
        raise NotFound("No such image.", code="not_found") from None
    if payload.get("r") != str(reviewer.id):
        raise Forbidden("This image link was issued to another reviewer.", code="permission_denied")
    document = Document.objects.select_related("verification").filter(pk=payload.get("d")).first()
    if document is None:
        raise Gone("The documents of this case have been deleted by retention.", code="documents_purged")
    case = ReviewCase.objects.filter(verification_id=document.verification_id).first()
    if case is None:
        raise NotFound("No such image.", code="not_found")
    review_case_touch(reviewer=reviewer, case_id=case.id)
    data = document_read(document=document, actor=actor_of(reviewer), purpose="review")
    return data, document.content_type
