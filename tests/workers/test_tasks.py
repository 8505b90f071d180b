"""The processing task: transient failures are retried, a run that never succeeds goes to a person."""

from __future__ import annotations

from typing import Any

import pytest

from tests.images import jpeg
from verification.models import Status, Tenant, Verification
from verification.services import processing
from verification.services.documents import document_upload
from verification.services.verifications import verification_create, verification_submit
from workers.tasks import process_verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(tenant: Tenant) -> Verification:
    verification, _ = verification_create(tenant=tenant, subject="s-1", type="document")
    document_upload(verification=verification, kind="id_front", data=jpeg(seed=1))
    document_upload(verification=verification, kind="selfie", data=jpeg(seed=2))
    return verification_submit(verification=verification)


def flaky(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[int]:
    """Make reading documents fail with a connection error `failures` times, then work."""
    calls: list[int] = []
    real = processing.document_read

    def read(**kwargs: Any) -> bytes:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionError("storage unreachable")
        return real(**kwargs)

    monkeypatch.setattr(processing, "document_read", read)
    return calls


def test_a_transient_failure_is_retried_and_the_run_decides(
    submitted: Verification, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = flaky(monkeypatch, failures=1)
    process_verification.apply(args=(str(submitted.id),))
    decided = Verification.objects.get(pk=submitted.pk)
    assert decided.status != Status.PROCESSING
    assert len(calls) == 3  # the first read failed; the retry read both documents
    reasons = {code for check in decided.checks for code in check["reasons"]}
    assert not reasons & {"image_unreadable", "check_unavailable"}


def test_a_run_that_keeps_failing_goes_to_review(
    submitted: Verification, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky(monkeypatch, failures=10_000)
    process_verification.apply(args=(str(submitted.id),))
    stuck = Verification.objects.get(pk=submitted.pk)
    assert stuck.status == Status.NEEDS_REVIEW
    assert stuck.checks[0]["reasons"] == ["check_unavailable"]


def test_a_task_for_a_decided_verification_does_nothing(submitted: Verification) -> None:
    process_verification.apply(args=(str(submitted.id),))
    first = Verification.objects.get(pk=submitted.pk)
    process_verification.apply(args=(str(submitted.id),))
    again = Verification.objects.get(pk=submitted.pk)
    assert (again.status, again.decided_at, again.updated_at) == (
        first.status,
        first.decided_at,
        first.updated_at,
    )


def test_an_unknown_id_does_nothing() -> None:
    assert process_verification.apply(args=("00000000-0000-0000-0000-000000000000",)).get() is None


def test_a_redelivered_task_overlapping_a_running_one_decides_once(
    submitted: Verification, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second delivery finishes first; the first one must then see its run is decided and stop."""
    real = processing.run_document_checks
    inner: list[str | None] = []
    started: list[bool] = []

    def overlapping(*args: Any, **kwargs: Any) -> Any:
        if not started:
            started.append(True)  # only the outer run starts a second delivery
            inner.append(processing.verification_process(verification_id=str(submitted.id)))
        return real(*args, **kwargs)

    monkeypatch.setattr(processing, "run_document_checks", overlapping)
    stored: list[Any] = []
    real_apply = processing._apply

    def counting_apply(*a: Any, **k: Any) -> None:
        stored.append(1)
        real_apply(*a, **k)

    monkeypatch.setattr(processing, "_apply", counting_apply)

    outer = processing.verification_process(verification_id=str(submitted.id))
    assert inner[0] is not None  # the redelivered task decided
    assert outer is None  # the original one found its run decided and wrote nothing
    assert len(stored) == 1
