"""Claiming on real PostgreSQL: concurrent reviewers never hold the same case, and none is lost."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from tests.reviewing import make_reviewer, review_setup, waiting_case  # noqa: F401
from verification.models import ReviewCase, Reviewer, ReviewState, Status, Tenant, Verification
from verification.services.review import review_claim_next, review_decide

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("review_setup")]


def run_threads(count: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]


def test_simultaneous_claims_take_distinct_cases(tenant: Tenant) -> None:
    cases = [waiting_case(tenant, f"s{i}", documents=False) for i in range(5)]
    reviewers = [make_reviewer(f"r{i}").reviewer for i in range(8)]
    got: dict[int, str | None] = {}

    def claim(index: int) -> None:
        case = review_claim_next(reviewer=reviewers[index])
        got[index] = str(case.id) if case else None

    run_threads(8, claim)
    claimed = [case_id for case_id in got.values() if case_id]
    assert len(claimed) == 5 and len(set(claimed)) == 5  # every case once, three reviewers get none
    assert set(claimed) == {str(c.id) for c in cases}
    holders = ReviewCase.objects.values_list("claimed_by_id", flat=True)
    assert len(set(holders)) == 5


def test_claimers_working_through_many_cases_never_share_one(tenant: Tenant) -> None:
    total = 60
    for i in range(total):
        waiting_case(tenant, f"s{i}", documents=False)
    reviewers = [make_reviewer(f"r{i}").reviewer for i in range(4)]
    worked: list[tuple[int, str]] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        reviewer = reviewers[index]
        while True:
            case = review_claim_next(reviewer=reviewer)
            if case is None:
                return
            with lock:
                worked.append((index, str(case.id)))
            review_decide(
                reviewer=reviewer, case_id=case.id, decision="approve", reason_code="approved_after_review"
            )

    started = time.perf_counter()
    run_threads(4, work)
    elapsed = time.perf_counter() - started
    counts = Counter(case_id for _, case_id in worked)
    assert len(counts) == total and max(counts.values()) == 1  # none lost, none twice
    assert ReviewCase.objects.filter(state=ReviewState.DECIDED).count() == total
    assert Verification.objects.filter(status=Status.VERIFIED).count() == total
    per_reviewer = Counter(index for index, _ in worked)
    assert sum(per_reviewer.values()) == total
    print(f"\n{total} cases by 4 reviewers in {elapsed:.2f}s; per reviewer {sorted(per_reviewer.values())}")


def test_a_cancel_racing_a_claim_neither_deadlocks_nor_leaves_a_held_closed_case(tenant: Tenant) -> None:
    """The tenant cancels while a reviewer claims: locks are taken in one order, so both finish."""
    from verification.services.verifications import verification_cancel

    rounds = 15
    cases = [waiting_case(tenant, f"s{i}", documents=False) for i in range(rounds)]
    reviewers = [make_reviewer(f"r{i}").reviewer for i in range(rounds)]
    for case, reviewer in zip(cases, reviewers, strict=True):
        verification = Verification.objects.get(pk=case.verification_id)

        def race(index: int, who: Reviewer = reviewer, target: Verification = verification) -> None:
            if index == 0:
                verification_cancel(verification=target)
            else:
                review_claim_next(reviewer=who)

        run_threads(2, race)
        case.refresh_from_db()
        assert case.state == ReviewState.CLOSED and case.claimed_by_id is None
