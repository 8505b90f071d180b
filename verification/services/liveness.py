"""Face Liveness sessions for the capture app (the app runs AWS's liveness UI with the session id)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from kyc.adapters.base import LivenessSession as SessionResult
from kyc.adapters.base import LivenessSessionRequest
from kyc.adapters.registry import liveness_adapter
from kyc.adapters.resilience import CallSpec
from verification.errors import InvalidInput
from verification.models import LivenessSession, Status, Verification, VerificationType
from verification.policy import Policy
from verification.services.provider_calls import resilience
from verification.state_machine import require_status
from verification.test_mode import verification_calls_providers

logger = logging.getLogger(__name__)

PROVIDER = "aws_liveness"


def liveness_session_create(*, verification: Verification) -> LivenessSession:
    """A new session for a new attempt of the app (raises ProviderError when the provider cannot
    be asked); processing reads the newest one.

    The n-th session of a verification has a fixed idempotency key and ClientRequestToken, so the
    retries inside one request (a timeout, a 5xx) never create a second session at the provider.
    """
    require_status(verification, Status.REQUIRES_INPUT, action="start liveness for")
    if verification.type != VerificationType.DOCUMENT:
        raise InvalidInput("Liveness is for document verifications.", code="liveness_not_enabled")
    policy = Policy.for_tenant(verification.tenant)
    if PROVIDER not in policy.providers:
        raise InvalidInput("Liveness is not enabled for this tenant.", code="liveness_not_enabled")
    if not verification_calls_providers(verification):
        raise InvalidInput("Liveness sessions are not available in test mode.", code="test_mode_only")
    number = LivenessSession.objects.filter(verification=verification, provider=PROVIDER).count() + 1
    token = f"{verification.id.hex}-{verification.submissions}-{number}"
    spec = CallSpec(PROVIDER, "create_session", str(verification.id), token)
    adapter = liveness_adapter(PROVIDER, settings)
    created = resilience().call(
        spec,
        lambda: adapter.create_session(LivenessSessionRequest(idempotency_token=token)),
        record=SessionResult.record,
        restore=SessionResult.from_record,
    )
    with transaction.atomic():
        session, _ = LivenessSession.objects.get_or_create(
            verification=verification, provider=PROVIDER, session_id=created.session_id
        )
    logger.info("liveness session created verification=%s", verification.id)
    return session
