"""Which checks run for a document verification, in which order, and what each one needs.

Pure orchestration over decoded images: no ORM, no storage. Cheap gates run first; a failed quality
gate stops the run (the user must retake the photo anyway, and a blurry image would only make the
expensive checks guess). Checks that need an earlier result (face match needs both faces) run only
when it is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kyc.age import check_age
from kyc.documents import check_document
from kyc.faces import (
    DEFAULT_MATCH,
    MatchThresholds,
    check_document_portrait,
    check_face_match,
    check_selfie_faces,
)
from kyc.images import DecodedImage
from kyc.quality import check_image_quality
from kyc.results import CheckResult
from verification.policy import Policy


@dataclass(frozen=True, slots=True)
class PipelineResult:
    results: list[CheckResult]
    # Fields read from the document (personal data): kept encrypted until retention, never logged.
    identity: Mapping[str, Any] = field(default_factory=dict)
    # Results kept for reviewers that do not decide (advisory providers, a replaced local result).
    advisory: list[CheckResult] = field(default_factory=list)


def match_thresholds(policy: Policy) -> MatchThresholds:
    return MatchThresholds(
        accept=policy.face_match_accept if policy.face_match_accept is not None else DEFAULT_MATCH.accept,
        reject=policy.face_match_reject if policy.face_match_reject is not None else DEFAULT_MATCH.reject,
    )


def run_document_checks(images: Mapping[str, DecodedImage], *, policy: Policy, today: date) -> PipelineResult:
    results = [check_image_quality(image, kind=kind) for kind, image in sorted(images.items())]
    if not all(result.passed for result in results):
        return PipelineResult(results)

    front, selfie = images["id_front"], images["selfie"]
    selfie_face = check_selfie_faces(selfie)
    portrait = check_document_portrait(front)
    results += [selfie_face, portrait]
    if selfie_face.passed and portrait.passed:
        results.append(
            check_face_match(
                selfie,
                selfie_face.data["face"],
                front,
                portrait.data["face"],
                thresholds=match_thresholds(policy),
            )
        )

    document = check_document(
        front, images.get("id_back"), allowed_types=frozenset(policy.allowed_document_types), today=today
    )
    results.append(document)
    identity = dict(document.data) if document.passed else {}
    if policy.min_age is not None and document.passed:
        birth = identity.get("birth_date")
        results.append(
            check_age(date.fromisoformat(birth) if birth else None, min_age=policy.min_age, today=today)
        )
    return PipelineResult(results, identity)
