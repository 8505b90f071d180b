"""The decision policy: reject beats retry beats review beats verify; attempts run out."""

from __future__ import annotations

import pytest

from kyc.results import failed, inconclusive, passed
from verification.codes import CATALOGUE, Action
from verification.errors import InvalidInput
from verification.policy import Policy, decide

POLICY = Policy()


def test_all_passing_verifies() -> None:
    decision = decide([passed("quality_selfie"), passed("face_match")], policy=POLICY, submissions=1)
    assert decision.status == "verified"
    assert decision.last_error is None


def test_nothing_run_is_not_verified() -> None:
    assert decide([], policy=POLICY, submissions=1).status == "needs_review"


def test_a_hard_failure_rejects_even_beside_a_fixable_one() -> None:
    results = [failed("quality_selfie", "image_too_dark"), failed("face_match", "selfie_face_mismatch")]
    decision = decide(results, policy=POLICY, submissions=1)
    assert decision.status == "rejected"
    assert decision.last_error is not None
    assert decision.last_error["code"] == "selfie_face_mismatch"
    assert decision.last_error["retryable"] is False


def test_a_fixable_problem_names_the_step_of_the_image() -> None:
    decision = decide([failed("quality_id_back", "image_glare")], policy=POLICY, submissions=1)
    assert decision.status == "requires_input"
    assert decision.last_error == {
        "code": "image_glare",
        "message": CATALOGUE["image_glare"].message,
        "retryable": True,
        "step": "id_back",
    }


def test_attempts_run_out() -> None:
    policy = Policy(max_input_attempts=2)
    assert (
        decide([failed("selfie_face", "face_not_found")], policy=policy, submissions=1).status
        == "requires_input"
    )
    decision = decide([failed("selfie_face", "face_not_found")], policy=policy, submissions=2)
    assert decision.status == "rejected"
    assert decision.last_error is not None
    assert decision.last_error["code"] == "too_many_attempts"


def test_inconclusive_and_review_codes_go_to_a_person() -> None:
    assert decide(
        [inconclusive("face_match", "face_match_uncertain")], policy=POLICY, submissions=1
    ).status == ("needs_review")
    assert decide(
        [failed("duplicate_identity", "duplicate_identity")], policy=POLICY, submissions=1
    ).status == ("needs_review")
    # An unknown code (a new adapter's) is never decided automatically.
    assert decide([failed("vendor", "something_new")], policy=POLICY, submissions=1).status == "needs_review"


def test_a_required_check_that_did_not_run_goes_to_review() -> None:
    policy = Policy(required_checks=frozenset({"face_match"}))
    assert decide([passed("document")], policy=policy, submissions=1).status == "needs_review"
    assert (
        decide([passed("document"), passed("face_match")], policy=policy, submissions=1).status == "verified"
    )


def test_every_catalogued_code_has_a_safe_message() -> None:
    for entry in CATALOGUE.values():
        assert entry.message.endswith(".")
        assert entry.action in set(Action)
        if entry.step is not None:
            assert entry.step in {"id_front", "id_back", "selfie"}


@pytest.mark.parametrize(
    "raw",
    [{"unknown": 1}, {"allowed_document_types": ["library_card"]}, {"max_input_attempts": 0}],
)
def test_invalid_policies_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Policy.from_mapping(raw)
