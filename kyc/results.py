"""The one result type every check returns, local or third-party.

A check is a plain function over decoded images (never HTTP, never the ORM). It returns a
`CheckResult`; the decision policy in `verification/` turns a list of them into a status.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ParamSpec

P = ParamSpec("P")


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - not a password
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check concluded.

    `reasons` are stable codes from the catalogue in `verification/codes.py`; `scores` are the
    numbers behind the outcome (thresholds are applied inside the check, the scores are kept for
    reviewers and calibration). `data` carries extracted facts (MRZ fields, ...) that the pipeline
    may keep encrypted until retention; it never goes to logs.
    """

    name: str
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    duration_ms: float = 0.0
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    def summary(self) -> dict[str, Any]:
        """The persisted, personal-data-free form of the result."""
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "reasons": list(self.reasons),
            "scores": {k: round(float(v), 4) for k, v in self.scores.items()},
            "duration_ms": round(self.duration_ms, 1),
        }


def passed(name: str, **scores: float) -> CheckResult:
    return CheckResult(name=name, outcome=Outcome.PASS, scores=scores)


def failed(name: str, *reasons: str, **scores: float) -> CheckResult:
    return CheckResult(name=name, outcome=Outcome.FAIL, reasons=reasons, scores=scores)


def inconclusive(name: str, *reasons: str, **scores: float) -> CheckResult:
    return CheckResult(name=name, outcome=Outcome.INCONCLUSIVE, reasons=reasons, scores=scores)


def timed(check: Callable[P, CheckResult]) -> Callable[P, CheckResult]:
    """Decorator: stamp the wall-clock duration of a check onto its result."""

    @functools.wraps(check)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> CheckResult:
        start = time.perf_counter()
        result = check(*args, **kwargs)
        return dataclasses.replace(result, duration_ms=(time.perf_counter() - start) * 1000.0)

    return wrapper
