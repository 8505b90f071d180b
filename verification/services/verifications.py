"""The verification lifecycle: create, submit, cancel, and the worker's processing run."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from verification.errors import InvalidInput
from verification.models import DocumentKind, Status, Tenant, Verification, VerificationType
from verification.retention import documents_expiry_at_creation, retention_start
from verification.services.events import verification_changed
from verification.state_machine import require_status, transition
from verification.test_mode import TEST_OUTCOMES
from verification.tokens import new_client_secret, token_hash

logger = logging.getLogger(__name__)


def return_url_check(url: str) -> None:
    """https anywhere, or http only to a host the settings allow (local development, tests)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = {h.lower() for h in settings.RETURN_URL_ALLOWED_HOSTS}
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and host not in allowed):
        raise InvalidInput(
            "return_url must be an https URL (or http to an allowed host).", code="return_url_not_allowed"
        )


REQUIRED_FILES: dict[str, frozenset[str]] = {
    VerificationType.DOCUMENT: frozenset({DocumentKind.ID_FRONT, DocumentKind.SELFIE}),
}


@transaction.atomic
def verification_create(
    *,
    tenant: Tenant,
    subject: str,
    type: str,
    livemode: bool = True,
    return_url: str = "",
    test_outcome: str = "",
) -> tuple[Verification, str]:
    """Open a verification; returns it with its client secret (shown once, stored as a hash).

    `return_url` is where the hosted capture page sends the user when done (https, or a host in
    RETURN_URL_ALLOWED_HOSTS); `test_outcome` forces the decision, in test mode only.
    """
    if test_outcome and livemode:
        raise InvalidInput("test_outcome works with a test-mode key only.", code="test_mode_only")
    if test_outcome and type != VerificationType.DOCUMENT:
        raise InvalidInput("test_outcome is for document verifications.", code="validation_error")
    if test_outcome and test_outcome not in TEST_OUTCOMES:
        raise InvalidInput("Unknown test_outcome.", code="validation_error", allowed=list(TEST_OUTCOMES))
    if return_url:
        return_url_check(return_url)
    now = timezone.now()
    secret = new_client_secret()
    verification = Verification.objects.create(
        tenant=tenant,
        subject=subject,
        type=type,
        livemode=livemode,
        return_url=return_url,
        test_outcome=test_outcome,
        client_secret_hash=token_hash(secret),
        client_secret_expires_at=now + timedelta(seconds=settings.CLIENT_SECRET_TTL_SECONDS),
        documents_expire_at=documents_expiry_at_creation(tenant=tenant, now=now),
    )
    logger.info("verification created verification=%s tenant=%s", verification.id, tenant.slug)
    return verification, secret


def _phone_challenge_close(verification: Verification) -> None:
    from verification.services.phone import phone_challenge_close  # phone builds on this module

    phone_challenge_close(verification=verification)


def _enqueue_processing(verification_id: uuid.UUID) -> None:
    from workers.tasks import process_verification  # workers depend on services, not the reverse

    process_verification.delay(str(verification_id))


@transaction.atomic
def verification_submit(*, verification: Verification, actor: str = "client") -> Verification:
    """Move to `processing` and queue one processing run once the transaction commits.

    The row lock makes concurrent submits serialise: the second one finds `processing` and is refused.
    """
    locked = Verification.objects.select_for_update().get(pk=verification.pk)
    require_status(locked, Status.REQUIRES_INPUT, action="submit")
    if locked.type == VerificationType.PHONE:
        raise InvalidInput(
            "A phone verification is finished by its code.", code="not_a_document_verification"
        )
    present = set(locked.documents.values_list("kind", flat=True))
    missing = sorted(REQUIRED_FILES.get(locked.type, frozenset()) - present)
    if missing:
        raise InvalidInput(
            "Upload the missing files before submitting.", code="missing_files", missing=missing
        )
    if locked.type == VerificationType.AFFILIATION:  # issue #8: a token or a photo of its QR code
        from verification.services.affiliation import affiliation_require_input

        affiliation_require_input(verification=locked)
    transition(locked, Status.PROCESSING)
    locked.run_id = uuid.uuid4()
    locked.submissions += 1
    locked.submitted_at = timezone.now()
    locked.last_error = None
    locked.save(update_fields=["status", "run_id", "submissions", "submitted_at", "last_error", "updated_at"])
    verification_changed(verification=locked, actor=actor)
    transaction.on_commit(lambda: _enqueue_processing(locked.id))
    logger.info("verification submitted verification=%s run=%s", locked.id, locked.run_id)
    return locked


@transaction.atomic
def verification_cancel(*, verification: Verification, actor: str = "tenant") -> Verification:
    locked = Verification.objects.select_for_update().get(pk=verification.pk)
    transition(locked, Status.CANCELED)
    _phone_challenge_close(locked)
    if locked.type == VerificationType.AFFILIATION:  # issue #8: the member's input goes now
        from verification.services.affiliation import affiliation_inputs_discard

        affiliation_inputs_discard(verification=locked)
    locked.decided_at = timezone.now()
    retention_start(locked, decided_at=locked.decided_at)
    locked.run_id = None
    locked.save(update_fields=["status", "decided_at", "run_id", "documents_expire_at", "updated_at"])
    verification_changed(verification=locked, actor=actor)
    logger.info("verification canceled verification=%s", locked.id)
    return locked
