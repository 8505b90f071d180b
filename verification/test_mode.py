"""Test mode: `tdq_test_` keys make test-mode verifications for a tenant's own integration tests.

A test-mode verification never calls a paid provider: every pipeline step that would reach a third
party asks `verification_calls_providers` first (the provider adapters of issue #5 consult it).
The local checks (quality, faces, MRZ) cost nothing and still run, unless the tenant forces the
outcome with `test_outcome` on create (test keys only):

- `verified`: the checks pass;
- `rejected`: a hard failure (`selfie_face_mismatch`);
- `needs_review`: an uncertain face match (`face_match_uncertain`), so the case goes to review;
- `requires_input`: the first submission asks for a retake of the front (`image_too_blurry`), the
  next one verifies, so a retry loop can be tested.

The forced result goes through the tenant's real decision policy, events, webhooks and receipts.
"""

from __future__ import annotations

from kyc.results import CheckResult, failed, inconclusive, passed
from verification.models import Verification

TEST_OUTCOMES = ("verified", "rejected", "needs_review", "requires_input")


def verification_calls_providers(verification: Verification) -> bool:
    """True when the verification may call paid third-party providers: live mode only."""
    return bool(verification.livemode)


def forced_results(outcome: str, *, submissions: int) -> list[CheckResult]:
    """The check results that make the decision policy reach `outcome` (see the module doc)."""
    if outcome == "verified" or (outcome == "requires_input" and submissions > 1):
        return [passed("test_outcome")]
    if outcome == "rejected":
        return [failed("face_match", "selfie_face_mismatch")]
    if outcome == "needs_review":
        return [inconclusive("face_match", "face_match_uncertain")]
    if outcome == "requires_input":
        return [failed("quality_id_front", "image_too_blurry")]
    raise ValueError(f"unknown test outcome {outcome!r}")
