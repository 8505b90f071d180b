"""Third-party checks in the document pipeline, per the tenant's policy (`Policy.providers`).

Modes, per provider:
- `required`: the provider's results decide like local checks. If the provider cannot be asked
  (circuit open, errors after retries) its check is inconclusive with `provider_unavailable`, so
  the case goes to review instead of being decided without it.
- `advisory`: the provider runs and its results are kept for reviewers, but do not decide; when it
  is unavailable the local result stands.
- `fallback`: the provider runs only when its local counterpart (face_match for Rekognition,
  document for Textract) is inconclusive; a conclusive provider verdict then replaces the local one
  (the local result is kept beside it). Unavailable: the inconclusive local result stands, with
  `provider_unavailable`, and the case goes to review. A passing Textract fallback never verifies:
  the identity (age check, duplicate fingerprint, verified outputs) comes from a local document
  read only, so the case goes to review with `provider_document_no_identity`.

Liveness is bound to the document: the session's reference image (the live face) is compared with
the document portrait by the local face match (kyc/faces); only the verdict is recorded.

All calls of one run share one deadline (PROVIDER_DEADLINE_SECONDS, below the task's soft time
limit): a provider still failing when it passes is unavailable, and the fallback applies.

Every call goes through kyc/adapters/resilience.py with an idempotency key built from the
verification, the operation and a hash of the input, so a redelivered task reuses what was done.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.conf import settings

from kyc.adapters import checks as provider_checks
from kyc.adapters.base import (
    FaceDetectRequest,
    FaceDetectResult,
    FaceMatchRequest,
    FaceMatchResult,
    IdAnalysisRequest,
    IdCrossCheck,
    LivenessResult,
    LivenessStatus,
    ProviderError,
    ReferenceMatch,
)
from kyc.adapters.fields import COMPARED_FIELDS
from kyc.adapters.registry import face_match_adapter, id_analysis_adapter, liveness_adapter
from kyc.adapters.resilience import CallSpec, Resilience
from kyc.faces import check_document_portrait, check_face_match, check_selfie_faces
from kyc.images import DecodedImage, decode
from kyc.results import CheckResult, Outcome, inconclusive
from verification.models import LivenessSession, Verification
from verification.pipeline import PipelineResult, match_thresholds
from verification.policy import Policy
from verification.services.provider_calls import resilience
from verification.test_mode import verification_calls_providers

logger = logging.getLogger(__name__)

REKOGNITION, LIVENESS, TEXTRACT = "aws_rekognition", "aws_liveness", "aws_textract"
# The local check each fallback-capable provider stands in for, and the provider check replacing it.
_COUNTERPART = {
    REKOGNITION: ("face_match", provider_checks.FACE_MATCH),
    TEXTRACT: ("document", "provider_document"),
}


def _hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else hashlib.sha256(part).digest())
        digest.update(b"|")
    return digest.hexdigest()


@dataclass(slots=True)
class _Run:
    verification: Verification
    policy: Policy
    images: Mapping[str, bytes]
    local: PipelineResult
    # The images the local checks decoded (their face boxes refer to these): reused, not decoded again.
    decoded: Mapping[str, DecodedImage] = field(default_factory=dict)
    # One per run: its deadline bounds every provider call of the run together.
    resilience: Resilience = field(default_factory=resilience)
    thresholds: provider_checks.ProviderThresholds = field(default_factory=provider_checks.ProviderThresholds)

    def spec(self, provider: str, operation: str, *parts: bytes | str) -> CallSpec:
        return CallSpec(provider, operation, str(self.verification.id), _hash(*parts))


def _face_checks(run: _Run, *, match_only: bool) -> list[CheckResult]:
    selfie, front = run.images.get("selfie"), run.images.get("id_front")
    if selfie is None or front is None:
        return []
    try:
        adapter = face_match_adapter(REKOGNITION, settings)
        results = []
        if not match_only:
            detected = run.resilience.call(
                run.spec(REKOGNITION, "detect_faces", selfie),
                lambda: adapter.detect_faces(FaceDetectRequest(selfie)),
                record=FaceDetectResult.record,
                restore=FaceDetectResult.from_record,
            )
            results.append(provider_checks.selfie_face_check(detected, run.thresholds))
        matched = run.resilience.call(
            run.spec(REKOGNITION, "compare_faces", selfie, front),
            lambda: adapter.compare_faces(FaceMatchRequest(source=selfie, target=front, threshold=0.0)),
            record=FaceMatchResult.record,
            restore=FaceMatchResult.from_record,
        )
        results.append(provider_checks.face_match_check(matched, run.thresholds))
        return results
    except ProviderError as exc:
        return [_unavailable(run, provider_checks.FACE_MATCH, REKOGNITION, exc)]


def _document_checks(run: _Run) -> list[CheckResult]:
    front = run.images.get("id_front")
    if front is None:
        return []
    back = run.images.get("id_back")
    local_document = next((r for r in run.local.results if r.name == "document"), None)
    mrz_identity = dict(local_document.data) if local_document is not None else {}
    mrz_part = json.dumps({k: str(mrz_identity.get(k) or "") for k in COMPARED_FIELDS}, sort_keys=True)
    try:
        adapter = id_analysis_adapter(TEXTRACT, settings)
        # Compared inside the call: what is recorded (and reused by a retry) is the agreement only.
        crossed = run.resilience.call(
            run.spec(TEXTRACT, "analyze_id", front, back or b"", mrz_part.encode()),
            lambda: provider_checks.cross_check(
                adapter.analyze_id(IdAnalysisRequest(front=front, back=back)), mrz_identity
            ),
            record=IdCrossCheck.record,
            restore=IdCrossCheck.from_record,
        )
    except ProviderError as exc:
        return [_unavailable(run, "provider_document", TEXTRACT, exc)]
    return [provider_checks.document_check(crossed, mrz_identity)]


def _bind_to_document(run: _Run, result: LivenessResult) -> LivenessResult:
    """Compare the live face (the session's reference image) with the document portrait, locally."""
    if result.status != LivenessStatus.SUCCEEDED:
        return result
    front = run.images.get("id_front")
    if not result.reference_image or front is None:
        return replace(result, reference_image=None, reference=ReferenceMatch.MISSING)
    document = run.decoded.get("id_front")
    # The local run already found the portrait on this very decoding; without it, both are redone.
    portrait = (
        next((r for r in run.local.results if r.name == "document_portrait"), None) if document else None
    )
    try:
        live = decode(result.reference_image)
        document = document or decode(front)
    except (OSError, ValueError, SyntaxError):
        return replace(result, reference_image=None, reference=ReferenceMatch.MISSING)
    live_face, portrait = check_selfie_faces(live), portrait or check_document_portrait(document)
    if not (live_face.passed and portrait.passed):
        return replace(result, reference_image=None, reference=ReferenceMatch.MISSING)
    match = check_face_match(
        live,
        live_face.data["face"],
        document,
        portrait.data["face"],
        thresholds=match_thresholds(run.policy),
    )
    verdict = {
        Outcome.PASS: ReferenceMatch.MATCH,
        Outcome.FAIL: ReferenceMatch.MISMATCH,
        Outcome.INCONCLUSIVE: ReferenceMatch.UNCERTAIN,
    }[match.outcome]
    return replace(result, reference_image=None, reference=verdict)


def _liveness_checks(run: _Run) -> list[CheckResult]:
    session = LivenessSession.objects.filter(verification=run.verification).order_by("-created_at").first()
    if session is None:
        return [provider_checks.liveness_check(None, run.thresholds)]
    front = run.images.get("id_front") or b""
    try:
        adapter = liveness_adapter(LIVENESS, settings)
        # The run id is part of the key: a new submission reads the session again, a redelivered
        # task of the same run reuses the answer (the binding verdict, never the reference image).
        result = run.resilience.call(
            run.spec(LIVENESS, "session_result", session.session_id, str(run.verification.run_id), front),
            lambda: _bind_to_document(run, adapter.session_result(session.session_id)),
            record=LivenessResult.record,
            restore=LivenessResult.from_record,
        )
    except ProviderError as exc:
        return [_unavailable(run, provider_checks.LIVENESS, LIVENESS, exc)]
    return [provider_checks.liveness_check(result, run.thresholds)]


def _unavailable(run: _Run, name: str, provider: str, exc: ProviderError) -> CheckResult:
    logger.warning(
        "provider unavailable verification=%s provider=%s error=%s",
        run.verification.id,
        provider,
        exc.code,
    )
    return provider_checks.unavailable(name, exc.code)


def _provider_results(run: _Run, code: str, *, match_only: bool = False) -> list[CheckResult]:
    if code == REKOGNITION:
        return _face_checks(run, match_only=match_only)
    if code == TEXTRACT:
        return _document_checks(run)
    return _liveness_checks(run)


def run_provider_checks(
    *,
    verification: Verification,
    policy: Policy,
    images: Mapping[str, bytes],
    local: PipelineResult,
    decoded: Mapping[str, DecodedImage] | None = None,
) -> PipelineResult:
    """The local result with the tenant's providers' results merged in (see the module docstring)."""
    if not policy.providers or not verification_calls_providers(verification):
        return local  # test mode never calls (or pays) a provider: the local checks decide
    # A failed quality gate means the user must retake the photos: no provider is asked (or paid).
    if any(r.name.startswith("quality_") and not r.passed for r in local.results):
        return local
    run = _Run(verification=verification, policy=policy, images=images, local=local, decoded=decoded or {})
    deciding = list(local.results)
    advisory = list(local.advisory)
    for code, mode in sorted(policy.providers.items()):
        if mode == "required":
            deciding += _provider_results(run, code)
        elif mode == "advisory":
            advisory += _provider_results(run, code)
        else:
            local_name, provider_name = _COUNTERPART[code]
            index = next((i for i, r in enumerate(deciding) if r.name == local_name), None)
            if index is None or deciding[index].outcome is not Outcome.INCONCLUSIVE:
                continue
            results = [r for r in _provider_results(run, code, match_only=True) if r.name == provider_name]
            if not results:
                continue
            verdict = results[0]
            if verdict.outcome is Outcome.INCONCLUSIVE:
                deciding.append(verdict)  # stays in review, and the provider's reason says why
            elif verdict.outcome is Outcome.PASS and code == TEXTRACT and not local.identity:
                # Textract agreeing is not an identity we read: no age check, no duplicate
                # fingerprint, no outputs could follow. A person finishes it.
                advisory.append(verdict)
                deciding.append(inconclusive(provider_name, "provider_document_no_identity"))
            else:
                advisory.append(deciding.pop(index))  # the provider decided: the local result is kept aside
                deciding.append(verdict)
    return PipelineResult(deciding, local.identity, advisory)
