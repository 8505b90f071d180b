"""Adapter results to `CheckResult`s: a provider's verdict enters the pipeline like a local check.

Names start with "provider_" so a reviewer (and the policy's `required_checks`) can tell them from
the local checks. Thresholds are applied here; the scores behind them are kept for calibration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kyc.adapters.base import (
    FaceDetectResult,
    FaceMatchResult,
    IdAnalysisResult,
    IdCrossCheck,
    LivenessResult,
    LivenessStatus,
    ReferenceMatch,
)
from kyc.adapters.fields import COMPARED_FIELDS, field_digest
from kyc.results import CheckResult, failed, inconclusive, passed

FACE_MATCH = "provider_face_match"
SELFIE_FACE = "provider_selfie_face"
LIVENESS = "provider_liveness"
DOCUMENT = "provider_document"

UNAVAILABLE = "provider_unavailable"


@dataclass(frozen=True, slots=True)
class ProviderThresholds:
    # Similarity (0-100) at or above which faces match, and below which they do not; between: review.
    face_match_accept: float = 95.0
    face_match_reject: float = 80.0
    # Rekognition's own default is 80 for most use cases; identity verification asks for more.
    liveness_min_confidence: float = 90.0
    # Faces detected below this confidence are ignored (shadows, posters in the background).
    face_min_confidence: float = 90.0


def unavailable(name: str, error_code: str) -> CheckResult:
    """The provider could not be asked (circuit open, errors after retries, not enabled)."""
    result = inconclusive(name, UNAVAILABLE)
    return CheckResult(
        name=result.name, outcome=result.outcome, reasons=result.reasons, data={"error": error_code}
    )


def face_match_check(result: FaceMatchResult, thresholds: ProviderThresholds) -> CheckResult:
    if result.similarity is None:
        return failed(FACE_MATCH, "selfie_face_mismatch", similarity=0.0)
    similarity = result.similarity
    if similarity >= thresholds.face_match_accept:
        return passed(FACE_MATCH, similarity=similarity)
    if similarity < thresholds.face_match_reject:
        return failed(FACE_MATCH, "selfie_face_mismatch", similarity=similarity)
    return inconclusive(FACE_MATCH, "face_match_uncertain", similarity=similarity)


def selfie_face_check(result: FaceDetectResult, thresholds: ProviderThresholds) -> CheckResult:
    faces = [face for face in result.faces if face.confidence >= thresholds.face_min_confidence]
    if not faces:
        return failed(SELFIE_FACE, "face_not_found", faces=0.0)
    if len(faces) > 1:
        return failed(SELFIE_FACE, "multiple_faces", faces=float(len(faces)))
    return passed(SELFIE_FACE, faces=1.0, confidence=faces[0].confidence)


def liveness_check(result: LivenessResult | None, thresholds: ProviderThresholds) -> CheckResult:
    if result is None or result.status in {LivenessStatus.CREATED, LivenessStatus.IN_PROGRESS}:
        return failed(LIVENESS, "liveness_not_completed")
    if result.status != LivenessStatus.SUCCEEDED:  # FAILED or EXPIRED: the user must do it again
        return failed(LIVENESS, "liveness_session_expired")
    confidence = float(result.confidence or 0.0)
    if confidence < thresholds.liveness_min_confidence:
        return failed(LIVENESS, "liveness_failed", confidence=confidence)
    # A live person is not yet the document's holder: the live face must be the portrait's.
    if result.reference == ReferenceMatch.MATCH:
        return passed(LIVENESS, confidence=confidence)
    if result.reference == ReferenceMatch.MISMATCH:
        return failed(LIVENESS, "liveness_face_mismatch", confidence=confidence)
    if result.reference == ReferenceMatch.UNCERTAIN:
        return inconclusive(LIVENESS, "liveness_face_uncertain", confidence=confidence)
    return inconclusive(LIVENESS, "liveness_reference_missing", confidence=confidence)


def cross_check(result: IdAnalysisResult, mrz_identity: Mapping[str, Any]) -> IdCrossCheck:
    """Compare the provider's reading with the MRZ in memory; only agree/disagree per field leaves."""
    agreement: dict[str, bool] = {}
    for name in COMPARED_FIELDS:
        field = result.fields.get(name)
        mrz_value = mrz_identity.get(name)
        if field is None or not mrz_value:
            continue
        agreement[name] = field.digest == field_digest(name, str(mrz_value))
    return IdCrossCheck(document_type=result.document_type, agreement=agreement)


def document_check(result: IdCrossCheck, mrz_identity: Mapping[str, Any]) -> CheckResult:
    """The provider's reading of the visual zone against the MRZ (see `cross_check`)."""
    if not any(mrz_identity.get(name) for name in COMPARED_FIELDS):
        # Nothing read locally to compare with (no MRZ, e.g. most driving licences): a person looks.
        return inconclusive(DOCUMENT, "provider_document_no_mrz", compared=0.0)
    compared = len(result.agreement)
    agreed = sum(1 for value in result.agreement.values() if value)
    if compared == 0:
        return inconclusive(DOCUMENT, "provider_document_unreadable", compared=0.0)
    scores = {"compared": float(compared), "agreed": float(agreed)}
    if agreed < compared:
        return failed(DOCUMENT, "provider_document_mismatch", **scores)
    return passed(DOCUMENT, **scores)
