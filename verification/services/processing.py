"""The worker's processing run: read the documents, run the pipeline, decide once."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kyc.images import DecodedImage, decode
from kyc.results import CheckResult, failed
from verification.crypto import DecryptionError, seal
from verification.identity import identity_digest
from verification.models import IdentityFingerprint, Status, Verification, VerificationType
from verification.pipeline import PipelineResult, run_document_checks
from verification.policy import Decision, Policy, decide
from verification.retention import retention_start
from verification.services.documents import document_read
from verification.services.events import verification_changed
from verification.services.providers import run_provider_checks
from verification.state_machine import FINAL, transition
from verification.test_mode import forced_results

logger = logging.getLogger(__name__)

WORKER_ACTOR = "system:worker"
OUTPUT_FIELDS = ("given_names", "surname", "birth_date", "document_type", "issuing_state", "expiry_date")


def _load_images(
    verification: Verification, raw: dict[str, bytes] | None = None
) -> tuple[dict[str, DecodedImage], list[CheckResult]]:
    """Decoded images by kind; `raw` (when given) receives the decrypted bytes for the providers."""
    images: dict[str, DecodedImage] = {}
    problems: list[CheckResult] = []
    for document in verification.documents.select_related("verification"):
        # Storage errors propagate: the task retries them. Only a bad key or bad bytes are verdicts.
        try:
            data = document_read(document=document, actor=WORKER_ACTOR, purpose="checks")
        except DecryptionError:
            problems.append(failed(f"decode_{document.kind}", "check_unavailable"))
            continue
        if raw is not None:
            raw[document.kind] = data
        try:
            images[document.kind] = decode(data)
        except (OSError, ValueError, SyntaxError):
            problems.append(failed(f"decode_{document.kind}", "image_unreadable"))
    return images, problems


def _run(verification: Verification, policy: Policy) -> PipelineResult:
    if not verification.livemode and verification.test_outcome:
        # Test mode with a forced outcome: no image is read, no check (and no provider) runs.
        return PipelineResult(forced_results(verification.test_outcome, submissions=verification.submissions))
    raw: dict[str, bytes] = {}
    images, problems = _load_images(verification, raw)
    if problems:
        return PipelineResult(problems)
    local = run_document_checks(images, policy=policy, today=timezone.now().date())
    # Third-party checks (per the tenant's policy) get the decrypted bytes, never a URL.
    return run_provider_checks(
        verification=verification, policy=policy, images=raw, local=local, decoded=images
    )


def _duplicate_check(verification: Verification, digest: str) -> CheckResult | None:
    # Test-mode fingerprints never match live ones (nor the reverse): the modes never mix.
    others = IdentityFingerprint.objects.filter(
        tenant_id=verification.tenant_id, digest=digest, verification__livemode=verification.livemode
    ).exclude(Q(subject=verification.subject) | Q(verification_id=verification.id))
    return failed("duplicate_identity", "duplicate_identity") if others.exists() else None


def _verified_outputs(identity: dict[str, Any]) -> dict[str, Any]:
    outputs = {name: identity.get(name) for name in OUTPUT_FIELDS}
    number = str(identity.get("document_number") or "")
    outputs["document_number_last4"] = number[-4:] if number else None
    return outputs


def _store_outputs(verification: Verification, identity: dict[str, Any]) -> None:
    sealed = seal(
        json.dumps(_verified_outputs(identity)).encode(), context=verification.id.bytes + b"outputs"
    )
    verification.outputs_ciphertext = sealed.ciphertext
    verification.outputs_key_id = sealed.key_id
    verification.outputs_wrapped_key = sealed.wrapped_key


def _apply(verification: Verification, decision: Decision, result: PipelineResult, policy: Policy) -> None:
    now = timezone.now()
    transition(verification, decision.status)
    verification.checks = [check.summary() for check in result.results] + [
        {**check.summary(), "advisory": True} for check in result.advisory
    ]
    verification.last_error = decision.last_error
    if decision.status in FINAL:
        verification.decided_at = now
        retention_start(verification, decided_at=now)
    if result.identity and decision.status != Status.REJECTED:
        _store_outputs(verification, dict(result.identity))
    if policy.min_age is not None and any(c.name == "age" and c.passed for c in result.results):
        verification.derived = {**verification.derived, "age_at_least": policy.min_age}


def verification_process(*, verification_id: str) -> str | None:
    """Run the checks for the verification's current run and decide once.

    Safe to call any number of times for the same run (redelivery, retries, two workers): the
    decision is written under the row lock only while the run is still the current one.
    Returns the new status, or None when there was nothing to do.
    """
    verification = Verification.objects.select_related("tenant").filter(pk=verification_id).first()
    if verification is None or verification.status != Status.PROCESSING:
        logger.info("process skipped verification=%s: not processing", verification_id)
        return None
    if verification.type == VerificationType.AFFILIATION:  # issue #8: its own checks
        from verification.services.affiliation import affiliation_process

        return affiliation_process(verification_id=verification_id)
    run_id: uuid.UUID | None = verification.run_id
    policy = Policy.for_tenant(verification.tenant, default_attempts=settings.MAX_INPUT_ATTEMPTS)
    result = _run(verification, policy)

    with transaction.atomic():
        locked = Verification.objects.select_for_update().select_related("tenant").get(pk=verification.pk)
        if locked.status != Status.PROCESSING or locked.run_id != run_id:
            logger.info("process skipped verification=%s: run already decided", verification_id)
            return None
        digest = None
        if result.identity.get("document_number"):
            digest = identity_digest(
                tenant_id=str(locked.tenant_id),
                issuing_state=str(result.identity.get("issuing_state") or ""),
                document_number=str(result.identity["document_number"]),
            )
            duplicate = _duplicate_check(locked, digest)
            if duplicate is not None:
                result = PipelineResult([*result.results, duplicate], result.identity, result.advisory)
        decision = decide(result.results, policy=policy, submissions=locked.submissions)
        _apply(locked, decision, result, policy)
        locked.save()
        verification_changed(verification=locked, actor=WORKER_ACTOR)
        if digest is not None and decision.status != Status.REQUIRES_INPUT:
            IdentityFingerprint.objects.update_or_create(
                verification=locked,
                defaults={"tenant_id": locked.tenant_id, "subject": locked.subject, "digest": digest},
            )
    logger.info(
        "verification decided verification=%s status=%s codes=%s",
        verification_id,
        decision.status,
        ",".join(code for check in result.results for code in check.reasons),
    )
    return decision.status


@transaction.atomic
def verification_processing_failed(*, verification_id: str) -> None:
    """The checks could not run after every retry: a person finishes the case instead of nobody."""
    locked = Verification.objects.select_for_update().filter(pk=verification_id).first()
    if locked is None or locked.status != Status.PROCESSING:
        return
    transition(locked, Status.NEEDS_REVIEW)
    locked.checks = [failed("processing", "check_unavailable").summary()]
    locked.save()
    verification_changed(verification=locked, actor=WORKER_ACTOR)
