"""The one place that says which status may follow which.

requires_input -> processing -> verified | rejected | needs_review | requires_input
needs_review   -> verified | rejected             (a reviewer decides)
requires_input | needs_review -> canceled
"""

from __future__ import annotations

from verification.errors import InvalidState
from verification.models import Status, Verification

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.REQUIRES_INPUT: frozenset({Status.PROCESSING, Status.CANCELED}),
    Status.PROCESSING: frozenset(
        {Status.VERIFIED, Status.REJECTED, Status.NEEDS_REVIEW, Status.REQUIRES_INPUT}
    ),
    Status.NEEDS_REVIEW: frozenset({Status.VERIFIED, Status.REJECTED, Status.CANCELED}),
    Status.VERIFIED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.CANCELED: frozenset(),
}

FINAL = frozenset({Status.VERIFIED, Status.REJECTED, Status.CANCELED})


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def transition(verification: Verification, target: str) -> None:
    """Move to `target` in memory; the caller saves inside the transaction that holds the row lock."""
    if not can_transition(verification.status, target):
        raise InvalidState(
            f"A verification in status '{verification.status}' cannot move to '{target}'.",
            status=verification.status,
            target=target,
        )
    verification.status = target


def require_status(verification: Verification, *allowed: str, action: str) -> None:
    if verification.status not in allowed:
        raise InvalidState(
            f"Cannot {action} a verification in status '{verification.status}'.",
            status=verification.status,
            allowed=sorted(allowed),
        )


# Redaction (subject erasure) ends any verification, whatever its status, and nothing follows it.
TRANSITIONS = {
    source: targets | {Status.REDACTED} if source != Status.REDACTED else targets
    for source, targets in {**TRANSITIONS, Status.REDACTED: frozenset()}.items()
}
FINAL = FINAL | {Status.REDACTED}

# Issue #8: a verified affiliation whose attestation the organisation later revoked goes back to a
# person (verification/services/affiliation.py, affiliation_flag_revoked); nothing else reopens one.
TRANSITIONS[Status.VERIFIED] = TRANSITIONS[Status.VERIFIED] | {Status.NEEDS_REVIEW}
