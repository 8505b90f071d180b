"""The review queue: ordering, scoping, leases, decisions through the state machine, four eyes, images."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from tests.reviewing import make_reviewer, review_setup, status_of, waiting_case  # noqa: F401
from verification.errors import Forbidden, Gone, InvalidInput, InvalidState, NotFound
from verification.models import (
    AuditRecord,
    Document,
    Event,
    ReviewCase,
    ReviewState,
    Tenant,
    Verification,
)
from verification.review_selectors import review_case_detail, review_health, review_queue
from verification.services import review as review_service
from verification.services.documents import document_read
from verification.services.retention import documents_purge_expired
from verification.services.review import (
    QueueFilters,
    four_eyes_rule_set,
    image_token,
    review_case_touch,
    review_claim_next,
    review_decide,
    review_image_read,
    review_reassign,
    review_release,
)
from verification.services.tenants import tenant_create
from verification.services.verifications import verification_cancel

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_setup")]


@pytest.fixture
def other_tenant() -> Tenant:
    return tenant_create(slug="other-shop")[0]


def expire(case: ReviewCase) -> None:
    ReviewCase.objects.filter(pk=case.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_needs_review_opens_a_case_and_cancel_closes_it(tenant: Tenant) -> None:
    case = waiting_case(tenant, documents=False)
    assert case.state == ReviewState.OPEN and case.codes == ["check_unavailable"]
    verification_cancel(verification=Verification.objects.get(pk=case.verification_id))
    case.refresh_from_db()
    assert case.state == ReviewState.CLOSED
    reviewer = make_reviewer("r1").reviewer
    assert review_claim_next(reviewer=reviewer) is None


def test_claim_takes_priority_then_age_and_keeps_the_held_case(tenant: Tenant) -> None:
    old = waiting_case(tenant, "a", documents=False)
    new = waiting_case(tenant, "b", documents=False)
    urgent = waiting_case(tenant, "c", documents=False)
    ReviewCase.objects.filter(pk=urgent.pk).update(priority=30, reason_codes=",duplicate_identity,")
    ReviewCase.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timedelta(hours=5))
    reviewer = make_reviewer("r1").reviewer
    assert [c.id for c in review_queue(reviewer=reviewer, filters=QueueFilters())] == [
        urgent.id,
        old.id,
        new.id,
    ]
    first = review_claim_next(reviewer=reviewer)
    assert first is not None and first.id == urgent.id
    # Claiming again (a page reload) gives the same case; "next" returns it and takes another.
    again = review_claim_next(reviewer=reviewer)
    assert again is not None and again.id == urgent.id
    following = review_claim_next(reviewer=reviewer, release_current=True)
    assert following is not None and following.id == old.id
    # Filters: by reason code and by age.
    other = make_reviewer("r2").reviewer
    only = review_claim_next(reviewer=other, filters=QueueFilters(reason_code="duplicate_identity"))
    assert only is not None and only.id == urgent.id
    third = make_reviewer("r3").reviewer
    assert review_claim_next(reviewer=third, filters=QueueFilters(min_age_seconds=3600)) is None
    actions = AuditRecord.objects.filter(action__startswith="review.").values_list("action", flat=True)
    assert {"review.claimed", "review.released"} <= set(actions)


def test_tenant_reviewers_see_only_their_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    mine = waiting_case(tenant, documents=False)
    theirs = waiting_case(other_tenant, documents=False)
    scoped = make_reviewer("scoped", tenant=tenant).reviewer
    operator = make_reviewer("operator").reviewer
    assert [c.id for c in review_queue(reviewer=scoped, filters=QueueFilters())] == [mine.id]
    assert {c.id for c in review_queue(reviewer=operator, filters=QueueFilters())} == {mine.id, theirs.id}
    claimed = review_claim_next(reviewer=scoped)
    assert claimed is not None and claimed.id == mine.id
    assert review_claim_next(reviewer=scoped, release_current=True) is None  # never the other tenant's
    with pytest.raises(NotFound):
        review_case_touch(reviewer=scoped, case_id=theirs.id)
    with pytest.raises(NotFound):
        review_decide(
            reviewer=scoped, case_id=theirs.id, decision="approve", reason_code="approved_after_review"
        )
    # A filter naming another tenant finds nothing for a scoped reviewer.
    assert not review_queue(reviewer=scoped, filters=QueueFilters(tenant_slug=other_tenant.slug)).exists()
    got = review_claim_next(reviewer=operator, filters=QueueFilters(tenant_slug=other_tenant.slug))
    assert got is not None and got.id == theirs.id


def test_an_expired_lease_returns_the_case(tenant: Tenant) -> None:
    case = waiting_case(tenant, documents=False)
    first, second = make_reviewer("r1").reviewer, make_reviewer("r2").reviewer
    assert review_claim_next(reviewer=first) is not None
    assert review_claim_next(reviewer=second) is None  # held
    expire(case)
    taken = review_claim_next(reviewer=second)
    assert taken is not None and taken.id == case.id
    with pytest.raises(InvalidState) as refused:
        review_decide(
            reviewer=first, case_id=case.id, decision="approve", reason_code="approved_after_review"
        )
    assert refused.value.code == "review_lease_not_held"
    claim = AuditRecord.objects.filter(action="review.claimed").order_by("-id").first()
    assert claim is not None and claim.details["previous_holder"] == f"reviewer:{first.id}"


def test_activity_renews_the_lease(tenant: Tenant) -> None:
    case = waiting_case(tenant, documents=False)
    reviewer = make_reviewer("r1").reviewer
    review_claim_next(reviewer=reviewer)
    ReviewCase.objects.filter(pk=case.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=5))
    touched = review_case_touch(reviewer=reviewer, case_id=case.id, view=True)
    assert touched.lease_expires_at is not None
    assert touched.lease_expires_at > timezone.now() + timedelta(minutes=14)
    assert AuditRecord.objects.filter(action="review.case_viewed", target_id=str(case.id)).exists()
    review_release(reviewer=reviewer, case_id=case.id)
    with pytest.raises(InvalidState):
        review_case_touch(reviewer=reviewer, case_id=case.id)


def test_approve_goes_through_the_state_machine_and_the_outcome_path(tenant: Tenant) -> None:
    case = waiting_case(tenant)
    reviewer = make_reviewer("r1").reviewer
    review_claim_next(reviewer=reviewer)
    outcome = review_decide(
        reviewer=reviewer,
        case_id=case.id,
        decision="approve",
        reason_code="approved_after_review",
        note="Passport and selfie match; the check only timed out.",
    )
    assert outcome.stage == "final" and outcome.verification_status == "verified"
    verification = Verification.objects.get(pk=case.verification_id)
    assert verification.status == "verified" and verification.decided_at is not None
    assert verification.checks[-1]["name"] == "manual_review" and verification.checks[-1]["outcome"] == "pass"
    # Retention starts at the decision, as for an automatic one.
    assert verification.documents_expire_at <= verification.decided_at + timedelta(hours=24)
    assert Event.objects.filter(verification=verification, type="verification.verified").exists()
    decided = AuditRecord.objects.get(action="verification.verified", target_id=str(verification.id))
    assert decided.actor == f"reviewer:{reviewer.id}"
    review_audit = AuditRecord.objects.get(action="review.decided")
    assert review_audit.details["reason_code"] == "approved_after_review" and review_audit.details["has_note"]
    assert "selfie" not in json.dumps(review_audit.details)  # the note stays in the review record
    case.refresh_from_db()
    assert case.state == ReviewState.DECIDED and case.claimed_by is None
    assert case.decisions.get().note.startswith("Passport")


def test_reject_sets_last_error_and_codes_must_fit_the_decision(tenant: Tenant) -> None:
    case = waiting_case(tenant, documents=False)
    reviewer = make_reviewer("r1").reviewer
    review_claim_next(reviewer=reviewer)
    with pytest.raises(InvalidInput) as mismatch:
        review_decide(reviewer=reviewer, case_id=case.id, decision="approve", reason_code="face_mismatch")
    assert mismatch.value.code == "reason_code_mismatch"
    with pytest.raises(InvalidInput) as unknown:
        review_decide(reviewer=reviewer, case_id=case.id, decision="reject", reason_code="looks_odd")
    assert unknown.value.code == "unknown_reason_code"
    review_decide(reviewer=reviewer, case_id=case.id, decision="reject", reason_code="face_mismatch")
    verification = Verification.objects.get(pk=case.verification_id)
    assert verification.status == "rejected"
    assert verification.last_error is not None and verification.last_error["code"] == "face_mismatch"
    assert Event.objects.filter(verification=verification, type="verification.rejected").exists()


def test_four_eyes_rejection_needs_a_second_reviewer(tenant: Tenant) -> None:
    lead = make_reviewer("lead", tenant=tenant, role="lead").reviewer
    plain = make_reviewer("plain", tenant=tenant).reviewer
    with pytest.raises(Forbidden):
        four_eyes_rule_set(lead=plain, reason_code="document_forged", required=True, tenant=None)
    four_eyes_rule_set(lead=lead, reason_code="document_forged", required=True, tenant=None)
    case = waiting_case(tenant, documents=False)
    first, second = make_reviewer("first", tenant=tenant).reviewer, make_reviewer("second").reviewer

    review_claim_next(reviewer=first)
    outcome = review_decide(reviewer=first, case_id=case.id, decision="reject", reason_code="document_forged")
    assert outcome.stage == "awaiting_second"
    assert status_of(case) == "needs_review"  # nothing final yet
    assert not Event.objects.filter(type="verification.rejected").exists()
    assert review_claim_next(reviewer=first, release_current=True) is None  # not their own again
    review_claim_next(reviewer=second)
    final = review_decide(reviewer=second, case_id=case.id, decision="reject", reason_code="document_forged")
    assert final.stage == "final" and status_of(case) == "rejected"


def test_a_disagreeing_second_reviewer_sends_the_case_to_a_lead(tenant: Tenant) -> None:
    lead = make_reviewer("lead", tenant=tenant, role="lead").reviewer
    four_eyes_rule_set(lead=lead, reason_code="face_mismatch", required=True, tenant=None)
    case = waiting_case(tenant, documents=False)
    first, second = (
        make_reviewer("first", tenant=tenant).reviewer,
        make_reviewer("second", tenant=tenant).reviewer,
    )
    review_claim_next(reviewer=first)
    review_decide(reviewer=first, case_id=case.id, decision="reject", reason_code="face_mismatch")
    review_claim_next(reviewer=second)
    disputed = review_decide(
        reviewer=second, case_id=case.id, decision="approve", reason_code="approved_after_review"
    )
    assert disputed.stage == "escalated" and status_of(case) == "needs_review"
    third = make_reviewer("third", tenant=tenant).reviewer
    assert review_claim_next(reviewer=third) is None  # only leads take escalated cases
    # A lead may also hand the case to someone; the first reviewer cannot be the one.
    with pytest.raises(InvalidState):
        review_reassign(lead=lead, case_id=case.id, to_username="first")
    with pytest.raises(Forbidden):  # nor anyone who is not a lead
        review_reassign(lead=lead, case_id=case.id, to_username="third")
    taken = review_claim_next(reviewer=lead)
    assert taken is not None and taken.id == case.id
    final = review_decide(
        reviewer=lead, case_id=case.id, decision="approve", reason_code="approved_after_review"
    )
    assert final.stage == "final" and status_of(case) == "verified"


def test_reassign_is_for_leads_and_stays_in_scope(tenant: Tenant, other_tenant: Tenant) -> None:
    case = waiting_case(tenant, documents=False)
    lead = make_reviewer("lead", tenant=tenant, role="lead").reviewer
    plain = make_reviewer("plain", tenant=tenant).reviewer
    make_reviewer("outsider", tenant=other_tenant)
    with pytest.raises(Forbidden):
        review_reassign(lead=plain, case_id=case.id, to_username="lead")
    make_reviewer("staff")  # an operator reviewer: out of a tenant lead's sight
    for hidden in ("outsider", "staff", "nobody"):
        with pytest.raises(NotFound):
            review_reassign(lead=lead, case_id=case.id, to_username=hidden)
    review_reassign(lead=lead, case_id=case.id, to_username="plain")
    case.refresh_from_db()
    assert case.claimed_by_id == plain.id
    assert AuditRecord.objects.filter(action="review.reassigned", target_id=str(case.id)).exists()


def test_image_urls_expire_and_refuse_another_reviewer(tenant: Tenant) -> None:
    case = waiting_case(tenant)
    holder, other = make_reviewer("holder").reviewer, make_reviewer("other").reviewer
    review_claim_next(reviewer=holder)
    document = Document.objects.get(verification_id=case.verification_id, kind="selfie")
    token = image_token(reviewer=holder, document=document)
    data, content_type = review_image_read(reviewer=holder, token=token)
    assert (
        data == document_read(document=document, actor="test", purpose="test")
        and content_type == "image/jpeg"
    )
    reads = AuditRecord.objects.filter(action="document.read", actor=f"reviewer:{holder.id}")
    assert reads.get().details == {
        "verification": str(case.verification_id),
        "kind": "selfie",
        "purpose": "review",
    }
    with pytest.raises(Forbidden) as stolen:
        review_image_read(reviewer=other, token=token)
    assert stolen.value.code == "permission_denied"
    with pytest.raises(InvalidState):  # their own link, but they do not hold the case
        review_image_read(reviewer=other, token=image_token(reviewer=other, document=document))
    with pytest.raises(NotFound):
        review_image_read(reviewer=holder, token=token[:-2] + "xx")

    class Earlier(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(timezone.now().timestamp()) - 61)

    old = Earlier(salt=review_service._IMAGE_SALT).sign_object({"d": str(document.id), "r": str(holder.id)})
    with pytest.raises(Forbidden) as expired:
        review_image_read(reviewer=holder, token=old)
    assert expired.value.code == "image_url_expired"


def test_after_retention_the_case_says_the_documents_are_gone(tenant: Tenant) -> None:
    case = waiting_case(tenant)
    reviewer = make_reviewer("r1").reviewer
    review_claim_next(reviewer=reviewer)
    document = Document.objects.filter(verification_id=case.verification_id).first()
    assert document is not None
    token = image_token(reviewer=reviewer, document=document)
    assert not review_case_detail(case=case).documents_purged
    documents_purge_expired(now=timezone.now() + timedelta(days=31))
    detail = review_case_detail(case=case)
    assert detail.documents_purged and detail.documents == [] and detail.verified_outputs is None
    assert [c["name"] for c in detail.verification.checks] == ["processing"]
    with pytest.raises(Gone) as gone:
        review_image_read(reviewer=reviewer, token=token)
    assert gone.value.code == "documents_purged"


def test_earlier_attempts_of_the_same_subject(tenant: Tenant, other_tenant: Tenant) -> None:
    earlier = waiting_case(tenant, "seller-7", documents=False)
    waiting_case(other_tenant, "seller-7", documents=False)  # another tenant's user of the same name
    current = waiting_case(tenant, "seller-7", documents=False)
    detail = review_case_detail(case=current)
    assert [v.id for v in detail.earlier_attempts] == [earlier.verification_id]


def test_queue_health(tenant: Tenant, other_tenant: Tenant) -> None:
    old = waiting_case(tenant, "a", documents=False)
    waiting_case(tenant, "b", documents=False)
    decided = waiting_case(other_tenant, "c", documents=False)
    ReviewCase.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timedelta(hours=30))
    operator = make_reviewer("op").reviewer
    review_claim_next(reviewer=operator, filters=QueueFilters(tenant_slug=other_tenant.slug))
    ReviewCase.objects.filter(pk=decided.pk).update(claimed_at=timezone.now() - timedelta(seconds=90))
    review_decide(
        reviewer=operator, case_id=decided.id, decision="approve", reason_code="approved_after_review"
    )

    health = review_health(reviewer=operator)
    assert health["by_state"]["open"] == 2 and health["by_state"]["decided"] == 1
    assert health["waiting"] == 2 and health["waiting_by_age"] == {
        "lt_1h": 1,
        "1h_4h": 0,
        "4h_24h": 0,
        "gt_24h": 1,
    }
    assert (
        health["oldest_waiting"]["case"] == str(old.id)
        and health["oldest_waiting"]["age_seconds"] >= 30 * 3600
    )
    assert health["median_seconds_queue_to_decision"] is not None
    [row] = health["reviewers"]
    assert row["username"] == "op" and row["decisions"] == 1 and 89 <= row["median_seconds_to_decision"] <= 95
    scoped = review_health(reviewer=make_reviewer("scoped", tenant=other_tenant).reviewer)
    assert scoped["waiting"] == 0 and scoped["by_state"]["decided"] == 1


def test_queue_health_is_per_mode_like_the_queue(tenant: Tenant) -> None:
    live = waiting_case(tenant, "live-1", documents=False)
    test_cases = [waiting_case(tenant, f"test-{n}", documents=False) for n in range(2)]
    Verification.objects.filter(pk__in=[c.verification_id for c in test_cases]).update(livemode=False)
    ReviewCase.objects.filter(pk=test_cases[0].pk).update(queued_at=timezone.now() - timedelta(hours=30))
    operator = make_reviewer("op").reviewer

    health = review_health(reviewer=operator)  # live by default, as QueueFilters
    assert health["livemode"] is True
    assert health["waiting"] == 1 and health["by_state"]["open"] == 1
    assert health["oldest_waiting"]["case"] == str(live.id)
    assert health["waiting_by_age"]["gt_24h"] == 0
    assert health["waiting"] == review_queue(reviewer=operator, filters=QueueFilters()).count()

    testing = review_health(reviewer=operator, livemode=False)
    assert testing["livemode"] is False
    assert testing["waiting"] == 2 and testing["by_state"]["open"] == 2
    assert testing["oldest_waiting"]["case"] == str(test_cases[0].id)
    assert testing["waiting_by_age"]["gt_24h"] == 1
