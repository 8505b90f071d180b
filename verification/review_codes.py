"""The fixed list of reasons a reviewer gives for a decision, and how the queue orders cases.

A decision's reason code is what the tenant sees in `last_error.code` of a rejection and what the
audit trail records; the reviewer's free-text note stays in the review record only.
"""

from __future__ import annotations

from dataclasses import dataclass

from verification.models import ReviewDecisionKind


@dataclass(frozen=True, slots=True)
class DecisionReason:
    code: str
    decision: str  # approve | reject
    label: str  # for the console
    message: str  # safe to show to the end user (rejections go to last_error)


DECISION_REASONS: tuple[DecisionReason, ...] = (
    DecisionReason(
        "approved_after_review",
        ReviewDecisionKind.APPROVE,
        "Approve: the documents and selfie are genuine and match",
        "A reviewer confirmed your documents.",
    ),
    DecisionReason(
        "document_forged",
        ReviewDecisionKind.REJECT,
        "Document forged or altered",
        "We could not accept this document.",
    ),
    DecisionReason(
        "document_unreadable",
        ReviewDecisionKind.REJECT,
        "Document unreadable",
        "We could not read your document.",
    ),
    DecisionReason(
        "document_expired",
        ReviewDecisionKind.REJECT,
        "Document expired",
        "This document has expired.",
    ),
    DecisionReason(
        "face_mismatch",
        ReviewDecisionKind.REJECT,
        "Selfie does not match the document",
        "The selfie does not match the photo on the document.",
    ),
    DecisionReason(
        "selfie_not_live",
        ReviewDecisionKind.REJECT,
        "Selfie is a photo of a photo or a screen",
        "We could not accept this selfie.",
    ),
    DecisionReason(
        "underage",
        ReviewDecisionKind.REJECT,
        "Under the minimum age",
        "You do not meet the minimum age for this service.",
    ),
    DecisionReason(
        "duplicate_identity",
        ReviewDecisionKind.REJECT,
        "Document belongs to another account",
        "This document is already linked to another account.",
    ),
    DecisionReason(
        "other_rejection",
        ReviewDecisionKind.REJECT,
        "Other (explain in the note)",
        "We could not verify your identity.",
    ),
)

REASONS_BY_CODE: dict[str, DecisionReason] = {reason.code: reason for reason in DECISION_REASONS}
REJECT_CODES = tuple(r.code for r in DECISION_REASONS if r.decision == ReviewDecisionKind.REJECT)
APPROVE_CODES = tuple(r.code for r in DECISION_REASONS if r.decision == ReviewDecisionKind.APPROVE)

# Cases whose check codes signal fraud come before those where a check merely could not run.
_PRIORITY: dict[str, int] = {
    "duplicate_identity": 30,
    "face_match_uncertain": 20,
    "check_unavailable": 5,
}
DEFAULT_PRIORITY = 10


def case_priority(codes: list[str]) -> int:
    return max((_PRIORITY.get(code, DEFAULT_PRIORITY) for code in codes), default=DEFAULT_PRIORITY)
