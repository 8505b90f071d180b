"""Affiliation verifications: the two routes, revocation flags, and minimisation at the decision.

Route 1 (attestation): the member's app submits a signed token (text, sealed until the run) or a
photo of its QR code (an `attestation_qr` Document); the worker's run verifies it
(kyc.attestation), cross-checks the name with the subject's verified document if there is one
(kyc.names), looks for the same attestation used by another subject, and decides through the
policy like every other verification.

Route 2 (confirmation): the member names the organisation and their member reference; a
ConfirmationRequest waits for the organisation's answer (its endpoint is called from a worker,
and its officers can poll /v1/org/); confirmed verifies, denied rejects, no answer by the deadline
sends the case to review.

Either way, the decision deletes the token, the member reference, the name (it never leaves
memory) and any photo; `Affiliation` keeps the organisation, community, attestation expiry and a
keyed hash of the jti.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kyc.attestation import Attestation, IssuerKey, attestation_well_formed, check_attestation
from kyc.images import decode
from kyc.names import check_name_match
from kyc.qr import check_attestation_qr
from kyc.results import CheckResult, failed, passed
from verification.crypto import DecryptionError, Sealed, seal, unseal
from verification.errors import Forbidden, InvalidInput, InvalidState, NotFound
from verification.models import (
    Affiliation,
    AffiliationRoute,
    AttestationRevocation,
    AttestationSubmission,
    ConfirmationRequest,
    ConfirmationState,
    DocumentKind,
    Organization,
    OrganizationCredential,
    OrganizationKey,
    OrganizationStatus,
    ReviewCase,
    ReviewState,
    Status,
    Verification,
    VerificationType,
)
from verification.outbound import OutboundError, outbound_post
from verification.policy import Policy, decide
from verification.retention import retention_start
from verification.review_codes import case_priority
from verification.selectors import verification_verified_outputs
from verification.services.documents import document_read, documents_shred, object_deletions_flush
from verification.services.events import event_record, verification_changed
from verification.services.idempotency import idempotency_records_forget
from verification.services.organizations import jti_digest, organization_webhook_secret
from verification.services.retention import deletion_receipt_issue
from verification.state_machine import FINAL, require_status, transition
from verification.webhook_signing import HEADER, signature_header

logger = logging.getLogger(__name__)

WORKER_ACTOR = "system:worker"
MEMBER_REF_MAX = 128


def _require_affiliation(verification: Verification) -> None:
    if verification.type != VerificationType.AFFILIATION:
        raise InvalidInput("This is not an affiliation verification.", code="wrong_verification_type")


# --- route 1: submitting the attestation ----------------------------------------------------------


@transaction.atomic
def attestation_submit_text(*, verification: Verification, token: str) -> None:
    """Keep the token (sealed) until the run; a second one replaces the first."""
    locked = Verification.objects.select_for_update().get(pk=verification.pk)
    _require_affiliation(locked)
    require_status(locked, Status.REQUIRES_INPUT, action="add an attestation to")
    token = token.strip()
    if not attestation_well_formed(token):  # empty, oversized, not a JWS, missing claims
        # Bad input is a 400 now, and costs the member no attempt; the signature is the worker's.
        raise InvalidInput("This is not a membership attestation.", code="attestation_unreadable")
    sealed = seal(token.encode(), context=locked.id.bytes + b"attestation")
    AttestationSubmission.objects.update_or_create(
        verification=locked,
        defaults={
            "ciphertext": sealed.ciphertext,
            "key_id": sealed.key_id,
            "wrapped_key": sealed.wrapped_key,
        },
    )


def affiliation_require_input(*, verification: Verification) -> None:
    """Called by verification_submit: an affiliation needs a token or a photo of one."""
    has_token = AttestationSubmission.objects.filter(verification=verification).exists()
    has_photo = verification.documents.filter(kind=DocumentKind.ATTESTATION_QR).exists()
    if not (has_token or has_photo):
        raise InvalidInput(
            "Add the attestation (text or a photo of its QR code) before submitting.",
            code="missing_files",
            missing=["attestation"],
        )


# --- route 1: the worker's run -------------------------------------------------------------------


def _issuer_key(iss: str, kid: str) -> IssuerKey | None:
    try:
        uuid.UUID(iss)
    except ValueError:
        return None
    key = OrganizationKey.objects.select_related("organization").filter(organization_id=iss, kid=kid).first()
    if key is None:
        return None
    organization = key.organization
    return IssuerKey(
        organization_id=str(organization.id),
        organization_active=organization.is_active,
        communities=frozenset(organization.communities or []),
        kid=key.kid,
        public_key=bytes(key.public_key),
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        revoked_at=key.revoked_at,
    )


def _revoked(iss: str, jti: str) -> bool:
    return AttestationRevocation.objects.filter(
        organization_id=iss, jti_hash=jti_digest(organization_id=iss, jti=jti)
    ).exists()


def _token_of(verification: Verification) -> tuple[str | None, list[CheckResult]]:
    """The submitted token, from the sealed text or the QR photo; or the checks that say why not."""
    submission = AttestationSubmission.objects.filter(verification=verification).first()
    if submission is not None:
        sealed = Sealed(
            ciphertext=bytes(submission.ciphertext),
            key_id=submission.key_id,
            wrapped_key=bytes(submission.wrapped_key),
        )
        try:
            return unseal(sealed, context=verification.id.bytes + b"attestation").decode(), []
        except (DecryptionError, UnicodeDecodeError):
            return None, [failed("attestation", "check_unavailable")]
    document = verification.documents.filter(kind=DocumentKind.ATTESTATION_QR).first()
    if document is None:
        return None, [failed("attestation", "attestation_unreadable")]
    try:
        data = document_read(document=document, actor=WORKER_ACTOR, purpose="checks")
    except DecryptionError:
        return None, [failed("attestation_qr", "check_unavailable")]
    try:
        image = decode(data)
    except (OSError, ValueError, SyntaxError):
        return None, [failed("attestation_qr", "attestation_unreadable")]
    found = check_attestation_qr(image)
    if not found.passed:
        return None, [found]
    return str(found.data["token"]), [CheckResult(name=found.name, outcome=found.outcome)]


def _document_name(verification: Verification) -> str | None:
    """The name on the subject's verified identity document, while its outputs live."""
    documents = Verification.objects.filter(
        tenant_id=verification.tenant_id,
        subject=verification.subject,
        type=VerificationType.DOCUMENT,
        status=Status.VERIFIED,
        outputs_ciphertext__isnull=False,
    ).order_by("-decided_at")
    for document in documents:
        outputs = verification_verified_outputs(verification=document)
        if outputs:
            name = " ".join(str(outputs.get(part) or "") for part in ("given_names", "surname")).strip()
            if name:
                return name
    return None


def _strip(result: CheckResult) -> CheckResult:
    """The result without its personal data, for what is persisted and compared."""
    return CheckResult(
        name=result.name,
        outcome=result.outcome,
        reasons=result.reasons,
        scores=result.scores,
        duration_ms=result.duration_ms,
    )


def _minimise(verification: Verification) -> None:
    """Delete everything personal the member gave, now (the caller holds the row lock)."""
    AttestationSubmission.objects.filter(verification=verification).delete()
    keys = documents_shred(documents=verification.documents.all())
    ConfirmationRequest.objects.filter(verification=verification).update(
        member_ref_ciphertext=None, member_ref_wrapped_key=None, member_ref_key_id=""
    )
    # The organisations' kept idempotent answers about it may hold the member reference.
    idempotency_records_forget(
        verification_ids=[verification.id],
        scopes=OrganizationCredential.objects.values_list("token_hash", flat=True),
    )
    if keys:
        transaction.on_commit(lambda: object_deletions_flush(keys=keys))


def _mark_inputs_deleted(verification: Verification, now: datetime) -> None:
    """After a decision nothing of the member's input remains: say so, as the TTL purge would."""
    if verification.documents_deleted_at is not None:
        return
    verification.documents_deleted_at = now
    verification.documents_expire_at = min(verification.documents_expire_at, now)
    verification.save(update_fields=["documents_deleted_at", "documents_expire_at", "updated_at"])
    event_record(verification=verification, type="verification.documents_deleted")
    deletion_receipt_issue(verification=verification)


def _reuse_check(verification: Verification, organization_id: str, digest: str) -> CheckResult | None:
    others = (
        Affiliation.objects.filter(
            organization_id=organization_id,
            jti_hash=digest,
            verification__tenant_id=verification.tenant_id,
            verification__livemode=verification.livemode,  # test and live never mix
        )
        .exclude(verification__subject=verification.subject)
        .exclude(verification_id=verification.id)
    )
    return failed("attestation_reuse", "attestation_reused") if others.exists() else None


# The statuses whose verification shows `derived.affiliation` (a rejected one says only why).
_SHOWN = (Status.VERIFIED, Status.NEEDS_REVIEW)


def _derived(organization: Organization, community: str, expires_at: datetime | None) -> dict[str, object]:
    """What the tenant sees of the affiliation: no name, no member reference, no token."""
    return {
        "organization": organization.slug,
        "community": community,
        "attestation_expires_at": expires_at.isoformat() if expires_at else None,
    }


def affiliation_process(*, verification_id: str) -> str | None:
    """The worker's run for an affiliation (route 1). Idempotent per run, like verification_process."""
    verification = Verification.objects.select_related("tenant").filter(pk=verification_id).first()
    if verification is None or verification.status != Status.PROCESSING:
        return None
    if ConfirmationRequest.objects.filter(verification=verification).exists():
        return None  # route 2: the organisation's answer decides, not a run
    run_id = verification.run_id
    policy = Policy.for_tenant(verification.tenant, default_attempts=settings.MAX_INPUT_ATTEMPTS)
    now = timezone.now()

    token, results = _token_of(verification)
    attestation: Attestation | None = None
    if token is not None:
        verdict = check_attestation(token, keys=_issuer_key, revoked=_revoked, now=now)
        attestation = verdict.data.get("attestation")
        results.append(_strip(verdict))
        if verdict.passed and attestation is not None:
            document_name = _document_name(verification)
            if document_name is not None:
                results.append(_strip(check_name_match(attestation.name, document_name)))
    del token

    with transaction.atomic():
        locked = Verification.objects.select_for_update().select_related("tenant").get(pk=verification.pk)
        if locked.status != Status.PROCESSING or locked.run_id != run_id:
            return None
        digest = None
        organization: Organization | None = None
        if attestation is not None:
            # The organisation's row lock orders this decision with any revocation being published.
            organization = Organization.objects.select_for_update().get(pk=attestation.organization_id)
            digest = jti_digest(
                organization_id=attestation.organization_id,
                jti=attestation.jti,
                tenant_id=str(locked.tenant_id),
            )
            if _revoked(attestation.organization_id, attestation.jti) and not any(
                "attestation_revoked" in r.reasons for r in results
            ):
                results = [r for r in results if r.name != "attestation"]
                results.append(failed("attestation", "attestation_revoked"))
            # Likewise a key revoked since the check (organization_key_revoke takes the same lock).
            if OrganizationKey.objects.filter(
                organization_id=attestation.organization_id, kid=attestation.kid, revoked_at__isnull=False
            ).exists():
                results = [r for r in results if r.name != "attestation"]
                results.append(failed("attestation", "attestation_invalid_signature"))
            reuse = _reuse_check(locked, attestation.organization_id, digest)
            if reuse is not None:
                results.append(reuse)
        decision = decide(results, policy=policy, submissions=locked.submissions)
        transition(locked, decision.status)
        locked.checks = [result.summary() for result in results]
        locked.last_error = decision.last_error
        if decision.status in FINAL:
            locked.decided_at = now
            retention_start(locked, decided_at=now)
        if organization is not None and attestation is not None and decision.status in _SHOWN:
            locked.derived = {
                **locked.derived,
                "affiliation": _derived(organization, attestation.community, attestation.expires_at),
            }
        locked.save()
        if attestation is not None and digest is not None and decision.status != Status.REQUIRES_INPUT:
            Affiliation.objects.update_or_create(
                verification=locked,
                defaults={
                    "organization_id": attestation.organization_id,
                    "route": AffiliationRoute.ATTESTATION,
                    "community": attestation.community[:100],
                    "attestation_expires_at": attestation.expires_at,
                    "jti_hash": digest,
                    "kid": attestation.kid[:64],
                },
            )
        _minimise(locked)
        verification_changed(verification=locked, actor=WORKER_ACTOR)
        if decision.status != Status.REQUIRES_INPUT:
            _mark_inputs_deleted(locked, now)
    logger.info(
        "affiliation decided verification=%s status=%s codes=%s",
        verification_id,
        decision.status,
        ",".join(code for result in results for code in result.reasons),
    )
    return decision.status


def affiliation_inputs_discard(*, verification: Verification) -> None:
    """Cancel (called by verification_cancel, under its row lock): the member's input goes and a
    pending confirmation request is closed."""
    _minimise(verification)
    ConfirmationRequest.objects.filter(verification=verification, state=ConfirmationState.PENDING).update(
        state=ConfirmationState.EXPIRED
    )


def affiliation_erase(*, verification: Verification) -> None:
    """Redaction (called by verification_redact, under its row lock): the member's input and the
    outcome both go."""
    affiliation_inputs_discard(verification=verification)
    Affiliation.objects.filter(verification=verification).delete()


def attestation_submissions_expire(*, now: datetime | None = None) -> int:
    """A token submitted but never processed (the member gave up) lives no longer than documents
    do: it goes when its verification's documents_expire_at has passed."""
    now = now or timezone.now()
    deleted, _ = AttestationSubmission.objects.filter(verification__documents_expire_at__lt=now).delete()
    return deleted


# --- revocations of attestations already used -----------------------------------------------------


def _reopen_case(verification: Verification) -> None:
    """The review queue opens a case per needs_review; one decided before is opened again."""
    codes = sorted({code for check in verification.checks for code in check.get("reasons", [])})
    ReviewCase.objects.filter(verification=verification).update(
        state=ReviewState.OPEN,
        priority=case_priority(codes),
        reason_codes=f",{','.join(codes)},",
        queued_at=timezone.now(),
        decided_at=None,
        claimed_by=None,
        claimed_at=None,
        lease_expires_at=None,
    )


@transaction.atomic
def affiliation_flag_revoked(*, verification_id: uuid.UUID | str, actor: str) -> bool:
    """Flag a verification whose attestation was revoked after it was used; True if sent to review.

    Verified (or still in review) cases go to review with `attestation_revoked`; rejected,
    canceled and redacted ones stay as they are; one still processing sees the revocation itself.
    """
    locked = Verification.objects.select_for_update().filter(pk=verification_id).first()
    if locked is None or locked.status not in (Status.VERIFIED, Status.NEEDS_REVIEW):
        return False
    if any(check.get("name") == "attestation_revocation" for check in locked.checks):
        return False  # flagged already
    locked.checks = [*locked.checks, failed("attestation_revocation", "attestation_revoked").summary()]
    if locked.status == Status.VERIFIED:
        transition(locked, Status.NEEDS_REVIEW)
    locked.save(update_fields=["status", "checks", "updated_at"])
    _reopen_case(locked)
    verification_changed(verification=locked, actor=actor)
    logger.info("affiliation flagged verification=%s code=attestation_revoked", locked.id)
    return True


# --- route 2: confirmation requests ---------------------------------------------------------------


def _enqueue_delivery(request_id: uuid.UUID) -> None:
    from workers.affiliation_tasks import deliver_confirmation_request

    deliver_confirmation_request.delay(str(request_id))


@transaction.atomic
def confirmation_request_create(
    *,
    verification: Verification,
    organization_slug: str,
    member_ref: str,
    community: str | None,
    actor: str,
) -> ConfirmationRequest:
    """Ask the organisation; the verification waits in `processing` for the answer."""
    locked = Verification.objects.select_for_update().get(pk=verification.pk)
    _require_affiliation(locked)
    require_status(locked, Status.REQUIRES_INPUT, action="request a confirmation for")
    if not locked.livemode:
        # A real organisation's officers and endpoint would get the request: test mode stays in.
        raise InvalidInput(
            "Confirmation requests are not available in test mode; use an attestation.",
            code="test_mode_only",
        )
    organization = Organization.objects.filter(slug=organization_slug).first()
    if organization is None or not organization.is_active:
        raise NotFound("No such organisation.", code="organization_not_found")
    communities = list(organization.communities or [])
    if community is None:
        if len(communities) != 1:
            raise InvalidInput(
                "Name the community.", code="community_required", communities=sorted(communities)
            )
        community = communities[0]
    if community not in communities:
        raise InvalidInput(
            "This organisation may not confirm membership of this community.",
            code="organization_not_authorized",
        )
    member_ref = member_ref.strip()
    if not member_ref or len(member_ref) > MEMBER_REF_MAX:
        raise InvalidInput("The member reference is empty or too long.", code="invalid_member_reference")
    request_id = uuid.uuid4()
    sealed = seal(member_ref.encode(), context=request_id.bytes + b"member_ref")
    request = ConfirmationRequest.objects.create(
        id=request_id,
        verification=locked,
        organization=organization,
        community=community,
        member_ref_ciphertext=sealed.ciphertext,
        member_ref_key_id=sealed.key_id,
        member_ref_wrapped_key=sealed.wrapped_key,
        deadline=timezone.now() + timedelta(seconds=settings.CONFIRMATION_DEADLINE_SECONDS),
    )
    transition(locked, Status.PROCESSING)
    locked.submissions += 1
    locked.submitted_at = timezone.now()
    locked.run_id = uuid.uuid4()
    locked.last_error = None
    locked.save(update_fields=["status", "submissions", "submitted_at", "run_id", "last_error", "updated_at"])
    verification_changed(verification=locked, actor=actor)
    if organization.webhook_url:
        transaction.on_commit(lambda: _enqueue_delivery(request_id))
    return request


def confirmation_member_ref(*, request: ConfirmationRequest) -> str | None:
    """The member reference, for the organisation only, while the request is pending."""
    if not request.member_ref_ciphertext or request.member_ref_wrapped_key is None:
        return None
    sealed = Sealed(
        ciphertext=bytes(request.member_ref_ciphertext),
        key_id=request.member_ref_key_id,
        wrapped_key=bytes(request.member_ref_wrapped_key),
    )
    try:
        return unseal(sealed, context=request.id.bytes + b"member_ref").decode()
    except DecryptionError:
        return None


def confirmation_request_body(*, request: ConfirmationRequest) -> bytes:
    """What the organisation's endpoint receives (signed with its webhook secret)."""
    return json.dumps(
        {
            "type": "affiliation.confirmation_requested",
            "id": str(request.id),
            "organization": request.organization.slug,
            "community": request.community,
            "member_reference": confirmation_member_ref(request=request),
            "deadline": request.deadline.isoformat(),
            "answer_url": f"/v1/org/confirmation-requests/{request.id}/answer",
            "answers": [ConfirmationState.CONFIRMED, ConfirmationState.DENIED],
        },
        separators=(",", ":"),
    ).encode()


@transaction.atomic
def confirmation_answer(
    *, organization: Organization, request_id: uuid.UUID | str, answer: str, actor: str
) -> ConfirmationRequest:
    """The organisation's answer decides: confirmed verifies, denied rejects."""
    if answer not in (ConfirmationState.CONFIRMED, ConfirmationState.DENIED):
        raise InvalidInput("The answer is 'confirmed' or 'denied'.", code="invalid_answer")
    try:
        # Parsed here: the ORM answers a malformed id with a ValidationError (a 500), not a miss.
        pk = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
    except ValueError:
        pk = None
    found = ConfirmationRequest.objects.filter(pk=pk, organization=organization).first() if pk else None
    if found is None:
        raise NotFound("No such confirmation request.", code="confirmation_request_not_found")
    # Lock order as everywhere: the verification first, then its dependants.
    locked = Verification.objects.select_for_update().get(pk=found.verification_id)
    request = ConfirmationRequest.objects.select_for_update().get(pk=found.pk)
    now = timezone.now()
    # Past the deadline the request is closed even if the minutely beat has not expired it yet.
    if (
        request.state != ConfirmationState.PENDING
        or locked.status != Status.PROCESSING
        or request.deadline < now
    ):
        raise InvalidState("This request has been answered or has expired.", code="confirmation_closed")
    # As read now, not when the caller authenticated or the endpoint was called: a suspended
    # organisation vouches for nothing, by either route.
    if not Organization.objects.filter(pk=organization.pk, status=OrganizationStatus.ACTIVE).exists():
        raise Forbidden("This organisation is suspended.", code="organization_not_authorized")
    confirmed = answer == ConfirmationState.CONFIRMED
    result = (
        passed("affiliation_confirmation")
        if confirmed
        else failed("affiliation_confirmation", "affiliation_denied")
    )
    policy = Policy.for_tenant(locked.tenant, default_attempts=settings.MAX_INPUT_ATTEMPTS)
    decision = decide([result], policy=policy, submissions=locked.submissions)
    transition(locked, decision.status)
    locked.checks = [result.summary()]
    locked.last_error = decision.last_error
    if confirmed:
        locked.derived = {**locked.derived, "affiliation": _derived(organization, request.community, None)}
    if decision.status in FINAL:  # a tenant's policy may still send a confirmation to a person
        locked.decided_at = now
        retention_start(locked, decided_at=now)
    locked.save()
    request.state = answer
    request.answered_at = now
    request.answered_by = actor
    request.save(update_fields=["state", "answered_at", "answered_by"])
    if confirmed:
        Affiliation.objects.update_or_create(
            verification=locked,
            defaults={
                "organization": organization,
                "route": AffiliationRoute.CONFIRMATION,
                "community": request.community,
                "attestation_expires_at": None,
                "jti_hash": "",
            },
        )
    _minimise(locked)
    # As stored now: the answer (which the idempotency middleware may keep) holds no member reference.
    request.refresh_from_db(fields=["member_ref_ciphertext", "member_ref_wrapped_key", "member_ref_key_id"])
    verification_changed(verification=locked, actor=actor)
    _mark_inputs_deleted(locked, now)
    logger.info("confirmation answered request=%s answer=%s", request.id, answer)
    return request


def _expire_one(request_id: uuid.UUID, verification_id: uuid.UUID, now: datetime) -> bool:
    with transaction.atomic():
        # Lock order as in confirmation_answer: the verification, then the request.
        locked = Verification.objects.select_for_update().get(pk=verification_id)
        request = ConfirmationRequest.objects.select_for_update().get(pk=request_id)
        if request.state != ConfirmationState.PENDING or request.deadline >= now:
            return False  # answered meanwhile
        request.state = ConfirmationState.EXPIRED
        request.save(update_fields=["state"])
        _minimise(locked)
        if locked.status != Status.PROCESSING:
            return False
        transition(locked, Status.NEEDS_REVIEW)
        locked.checks = [failed("affiliation_confirmation", "confirmation_no_answer").summary()]
        locked.last_error = None
        # What the member claimed is what a reviewer's approval will stand for: keep it, as route 1
        # does for a case in review, or an approved case would say nothing of whom it vouches for.
        organization = Organization.objects.get(pk=request.organization_id)
        locked.derived = {**locked.derived, "affiliation": _derived(organization, request.community, None)}
        locked.save()
        Affiliation.objects.update_or_create(
            verification=locked,
            defaults={
                "organization": organization,
                "route": AffiliationRoute.CONFIRMATION,
                "community": request.community,
                "attestation_expires_at": None,
                "jti_hash": "",
            },
        )
        verification_changed(verification=locked, actor="system:affiliation")
        _mark_inputs_deleted(locked, now)
        return True


def confirmations_expire(*, now: datetime | None = None) -> int:
    """Requests past their deadline: the case goes to a person (`confirmation_no_answer`)."""
    now = now or timezone.now()
    due = list(
        ConfirmationRequest.objects.filter(state=ConfirmationState.PENDING, deadline__lt=now).values_list(
            "id", "verification_id"
        )
    )
    return sum(_expire_one(request_id, verification_id, now) for request_id, verification_id in due)


# --- route 2: calling the organisation's endpoint -------------------------------------------------


def confirmation_deliver(*, request_id: uuid.UUID | str) -> str:
    """POST the signed request to the organisation; its reply may carry the answer at once
    (`{"answer": "confirmed"}`), otherwise its officers answer through /v1/org/ later.

    Returns what happened ("delivered", "answered", "skipped"); raises OutboundError when the
    endpoint failed (the task retries unless `permanent`) or answered with an error status.
    """
    request = ConfirmationRequest.objects.select_related("organization").filter(pk=request_id).first()
    if request is None or request.state != ConfirmationState.PENDING:
        return "skipped"
    organization = request.organization
    secret = organization_webhook_secret(organization=organization)
    # A suspended organisation is sent no member reference (its answer would not count either).
    if not organization.webhook_url or secret is None or not organization.is_active:
        return "skipped"
    body = confirmation_request_body(request=request)
    headers = {
        "Content-Type": "application/json",
        HEADER: signature_header([secret], body),
        "Tasdeeq-Request-Id": str(request.id),
    }
    ConfirmationRequest.objects.filter(pk=request.pk).update(webhook_attempts=F("webhook_attempts") + 1)
    response = outbound_post(organization.webhook_url, body=body, headers=headers)
    if not response.ok:
        # 4xx other than 408/429 will not get better by retrying; the officers can still poll.
        permanent = 400 <= response.status < 500 and response.status not in (408, 429)
        error = OutboundError(f"the organisation answered {response.status}", code="endpoint_status")
        error.permanent = permanent
        raise error
    ConfirmationRequest.objects.filter(pk=request.pk).update(webhook_delivered_at=timezone.now())
    answer = _answer_in(response.body)
    if answer is None:
        return "delivered"
    try:
        confirmation_answer(
            organization=organization,
            request_id=request.id,
            answer=answer,
            actor=f"organization_endpoint:{organization.id}",
        )
    except (InvalidState, Forbidden):
        return "delivered"  # answered through the API, expired or suspended meanwhile
    return "answered"


def _answer_in(body: bytes) -> str | None:
    try:
        reply = json.loads(body) if body else None
    except ValueError:
        return None
    if isinstance(reply, dict) and reply.get("answer") in (
        ConfirmationState.CONFIRMED,
        ConfirmationState.DENIED,
    ):
        return str(reply["answer"])
    return None
