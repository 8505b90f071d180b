"""Phone verification (type "phone"): a one-time code by SMS, checked in constant time.

- create: the number is validated and normalised (E.164), sealed with the code's HOTP secret, and a
  keyed hash of it kept; the code is sent by a worker task that gets the verification id only.
- each send (first or resend) moves the HOTP counter, so only the newest code works; it expires
  after PHONE_CODE_TTL_SECONDS; resends wait PHONE_RESEND_COOLDOWN_SECONDS and stop at
  PHONE_MAX_SENDS; PHONE_CODE_MAX_ATTEMPTS wrong codes reject the verification; a challenge past
  PHONE_CHALLENGE_TTL_SECONDS rejects it with `phone_challenge_expired`.
- the sealed number and secret are deleted as soon as the challenge ends (verified, rejected,
  canceled, redacted, or past PHONE_CHALLENGE_TTL_SECONDS); the outcome and the hash stay.

Every status change goes through `verification_changed`, like every other path.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kyc.adapters.base import ProviderError, ProviderUnavailable, SmsRequest, SmsResult
from kyc.adapters.registry import sms_adapter
from kyc.adapters.resilience import CallSpec
from kyc.results import failed, passed
from verification.crypto import Sealed, seal, unseal
from verification.errors import Gone, InvalidInput, InvalidState, Locked
from verification.models import PhoneChallenge, Status, Tenant, Verification, VerificationType
from verification.phone_numbers import normalise_phone_number, phone_digest
from verification.policy import error_for
from verification.retention import retention_start
from verification.services.events import verification_changed
from verification.services.provider_calls import resilience
from verification.services.verifications import verification_create
from verification.state_machine import transition

logger = logging.getLogger(__name__)

SMS_PROVIDER = "aws_sns"
PHONE_CHECK = "phone_code"
EXPIRY_ACTOR = "system:phone_expiry"


def _context(verification_id: uuid.UUID) -> bytes:
    return verification_id.bytes + b"phone"


def _open(challenge: PhoneChallenge) -> dict[str, str]:
    assert challenge.sealed is not None
    assert challenge.wrapped_key is not None
    sealed = Sealed(bytes(challenge.sealed), challenge.key_id, bytes(challenge.wrapped_key))
    return dict(json.loads(unseal(sealed, context=_context(challenge.verification_id))))


def _code(secret: str, counter: int) -> str:
    return pyotp.HOTP(secret, digits=settings.PHONE_CODE_DIGITS).at(counter)


def _forget_number(challenge: PhoneChallenge, now: datetime) -> None:
    """Delete the sealed number and secret (in the caller's transaction); the hash stays."""
    challenge.sealed = None
    challenge.wrapped_key = None
    challenge.key_id = ""
    challenge.closed_at = challenge.closed_at or now


def _enqueue_send(verification_id: uuid.UUID) -> None:
    from workers.tasks import send_phone_code  # workers depend on services, not the reverse

    send_phone_code.delay(str(verification_id))


@transaction.atomic
def phone_verification_create(*, tenant: Tenant, subject: str, phone_number: str) -> tuple[Verification, str]:
    """Open a phone verification and queue the first code; returns it with its client secret."""
    e164 = normalise_phone_number(phone_number)
    if SMS_PROVIDER not in settings.TASDEEQ_PROVIDERS:
        raise InvalidInput("Phone verification is not enabled on this service.", code="phone_not_enabled")
    verification, secret = verification_create(tenant=tenant, subject=subject, type=VerificationType.PHONE)
    now = timezone.now()
    sealed = seal(
        json.dumps({"number": e164, "secret": pyotp.random_base32()}).encode(),
        context=_context(verification.id),
    )
    PhoneChallenge.objects.create(
        verification=verification,
        sealed=sealed.ciphertext,
        key_id=sealed.key_id,
        wrapped_key=sealed.wrapped_key,
        number_digest=phone_digest(tenant_id=str(tenant.id), e164=e164),
        counter=1,
        sends=1,
        requested_at=now,
        code_expires_at=now + timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS),
        expires_at=now + timedelta(seconds=settings.PHONE_CHALLENGE_TTL_SECONDS),
    )
    transaction.on_commit(lambda: _enqueue_send(verification.id))
    logger.info("phone verification created verification=%s", verification.id)
    return verification, secret


def phone_code_send(*, verification_id: str) -> str | None:
    """Send the challenge's current code (worker). Idempotent per code: the SNS call's key holds the
    HOTP counter, so a redelivered task does not text the same code twice. Returns the message id.

    Transient provider errors propagate (the task retries); a permanent one is recorded.
    """
    challenge = PhoneChallenge.objects.filter(verification_id=verification_id).first()
    if challenge is None or challenge.closed_at is not None or challenge.sealed is None:
        return None
    now = timezone.now()
    if now >= challenge.code_expires_at:
        return None  # nobody is waiting for this code any more
    opened = _open(challenge)
    code = _code(opened["secret"], challenge.counter)
    minutes = max(1, settings.PHONE_CODE_TTL_SECONDS // 60)
    request = SmsRequest(
        phone_number=opened["number"],
        message=f"Your verification code is {code}. It expires in {minutes} minutes. Do not share it.",
    )
    spec = CallSpec(SMS_PROVIDER, "send_sms", str(verification_id), f"counter:{challenge.counter}")
    try:
        adapter = sms_adapter(SMS_PROVIDER, settings)
        sent = resilience().call(
            spec,
            lambda: adapter.send_sms(request),
            record=SmsResult.record,
            restore=SmsResult.from_record,
        )
    except ProviderError as exc:
        if exc.permanent or (isinstance(exc, ProviderUnavailable) and exc.code == "provider_not_enabled"):
            PhoneChallenge.objects.filter(pk=challenge.pk, counter=challenge.counter).update(
                delivery_error=exc.code[:64]
            )
            logger.warning("phone code not sent verification=%s error=%s", verification_id, exc.code)
            return None
        raise
    PhoneChallenge.objects.filter(pk=challenge.pk, counter=challenge.counter).update(
        sent_at=timezone.now(), delivery_error=""
    )
    logger.info("phone code sent verification=%s counter=%d", verification_id, challenge.counter)
    return sent.message_id


def phone_code_delivery_failed(*, verification_id: str, error: str) -> None:
    """The task gave up on a transient error (every retry failed, or the circuit stayed open)."""
    PhoneChallenge.objects.filter(verification_id=verification_id, sent_at__isnull=True).update(
        delivery_error=error[:64]
    )


def _locked(verification: Verification) -> tuple[Verification, PhoneChallenge]:
    locked = Verification.objects.select_for_update().select_related("tenant").get(pk=verification.pk)
    if locked.type != VerificationType.PHONE:
        raise InvalidInput("This is not a phone verification.", code="not_a_phone_verification")
    challenge = PhoneChallenge.objects.select_for_update().filter(verification=locked).first()
    if challenge is None:  # redaction deletes the challenge with everything else personal
        raise InvalidState(
            f"Cannot check a code of a verification in status '{locked.status}'.", status=locked.status
        )
    return locked, challenge


def _require_open(locked: Verification, challenge: PhoneChallenge) -> None:
    if locked.status != Status.REQUIRES_INPUT or challenge.closed_at is not None:
        raise InvalidState(
            f"Cannot check a code of a verification in status '{locked.status}'.", status=locked.status
        )


@dataclass(frozen=True, slots=True)
class CodeCheck:
    verification: Verification
    accepted: bool
    attempts_remaining: int
    # Set when the challenge had run out of time: the error the caller raises after the commit.
    expired: bool = False


def _decide(
    locked: Verification,
    *,
    status: str,
    reason: str | None,
    now: datetime,
    actor: str,
    submitted: bool = True,
) -> None:
    """requires_input -> processing -> the outcome, each step recorded (events, audit, queue).
    `reason` None: the code was right; otherwise the reason code of the refusal."""
    transition(locked, Status.PROCESSING)
    if submitted:
        locked.submissions += 1
        locked.submitted_at = now
    locked.save()
    verification_changed(verification=locked, actor=actor)
    transition(locked, status)
    if reason is None:
        locked.checks = [passed(PHONE_CHECK).summary()]
        locked.last_error = None
        locked.derived = {**locked.derived, "phone_verified": True}
    else:
        locked.checks = [failed(PHONE_CHECK, reason).summary()]
        locked.last_error = error_for(reason)
    locked.decided_at = now
    retention_start(locked, decided_at=now)
    locked.save()
    verification_changed(verification=locked, actor=actor)


def _expire(locked: Verification, challenge: PhoneChallenge, now: datetime, *, actor: str) -> None:
    """Past the challenge's lifetime: forget the number and reject, so the tenant hears of it (event,
    webhook) and retention starts, instead of a verification waiting for input forever."""
    _forget_number(challenge, now)
    challenge.save()
    if locked.status == Status.REQUIRES_INPUT:
        _decide(
            locked,
            status=Status.REJECTED,
            reason="phone_challenge_expired",
            now=now,
            actor=actor,
            submitted=False,
        )


@transaction.atomic
def phone_code_check(*, verification: Verification, code: str, actor: str) -> CodeCheck:
    """Check a submitted code. Every attempt counts under the row lock (no parallel guessing);
    the comparison is constant-time. Errors are for the caller to raise after this commits."""
    now = timezone.now()
    locked, challenge = _locked(verification)
    _require_open(locked, challenge)
    if now >= challenge.expires_at:
        _expire(locked, challenge, now, actor=actor)
        return CodeCheck(locked, accepted=False, attempts_remaining=0, expired=True)
    challenge.failed_attempts += 1  # counted first, given back on success: a crash never refunds a guess
    expected = _code(_open(challenge)["secret"], challenge.counter)
    in_time = now < challenge.code_expires_at
    accepted = hmac.compare_digest(code.strip().encode(), expected.encode()) and in_time
    remaining = max(0, settings.PHONE_CODE_MAX_ATTEMPTS - challenge.failed_attempts)
    if accepted:
        challenge.failed_attempts -= 1
        challenge.verified_at = now
        _forget_number(challenge, now)
        challenge.save()
        _decide(locked, status=Status.VERIFIED, reason=None, now=now, actor=actor)
    elif remaining == 0:
        _forget_number(challenge, now)
        challenge.save()
        _decide(locked, status=Status.REJECTED, reason="too_many_attempts", now=now, actor=actor)
    else:
        challenge.save(update_fields=["failed_attempts"])
    logger.info("phone code checked verification=%s accepted=%s remaining=%d", locked.id, accepted, remaining)
    return CodeCheck(locked, accepted=accepted, attempts_remaining=remaining)


def raise_for(check: CodeCheck) -> None:
    """The API error for a refused code (raised after the attempt was committed)."""
    if check.expired:
        raise Gone("The phone verification has expired.", code="phone_challenge_expired")
    if check.accepted:
        return
    if check.attempts_remaining == 0:
        raise InvalidInput("Too many wrong codes.", code="too_many_attempts")
    raise InvalidInput(
        "The code is not valid or has expired.",
        code="phone_code_invalid",
        attempts_remaining=check.attempts_remaining,
    )


def phone_code_resend(*, verification: Verification, actor: str) -> PhoneChallenge:
    """A new code (the previous one stops working), after the cool-down, up to PHONE_MAX_SENDS."""
    challenge = _resend(verification=verification, actor=actor)
    if challenge is None:  # raised after the rejection committed
        raise Gone("The phone verification has expired.", code="phone_challenge_expired")
    return challenge


@transaction.atomic
def _resend(*, verification: Verification, actor: str) -> PhoneChallenge | None:
    now = timezone.now()
    locked, challenge = _locked(verification)
    _require_open(locked, challenge)
    if now >= challenge.expires_at:
        _expire(locked, challenge, now, actor=actor)
        return None
    wait = (challenge.requested_at + timedelta(seconds=settings.PHONE_RESEND_COOLDOWN_SECONDS)) - now
    if wait > timedelta(0):
        raise Locked(
            "Wait before asking for another code.",
            code="phone_resend_cooldown",
            retry_after=int(wait.total_seconds()) + 1,
        )
    if challenge.sends >= settings.PHONE_MAX_SENDS:
        raise Locked("No more codes can be sent for this verification.", code="phone_send_limit")
    challenge.counter += 1
    challenge.sends += 1
    challenge.requested_at = now
    challenge.code_expires_at = now + timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS)
    challenge.sent_at = None
    challenge.delivery_error = ""
    challenge.save()
    transaction.on_commit(lambda: _enqueue_send(locked.id))
    return challenge


def phone_challenge_close(*, verification: Verification) -> None:
    """The verification ended another way (canceled, redacted): forget the number now."""
    challenge = PhoneChallenge.objects.select_for_update().filter(verification=verification).first()
    if challenge is not None and challenge.sealed is not None:
        _forget_number(challenge, timezone.now())
        challenge.save()


def phone_challenges_expire(*, now: datetime | None = None) -> int:
    """Challenges past their lifetime (a periodic task): the number is forgotten and a verification
    still waiting for its code is rejected with `phone_challenge_expired`. Returns how many."""
    now = now or timezone.now()
    due = PhoneChallenge.objects.filter(sealed__isnull=False, expires_at__lte=now)
    expired = 0
    for verification_id in due.values_list("verification_id", flat=True):
        with transaction.atomic():
            locked = Verification.objects.select_for_update().filter(pk=verification_id).first()
            challenge = PhoneChallenge.objects.select_for_update().filter(pk=verification_id).first()
            if locked is None or challenge is None or challenge.sealed is None:
                continue  # redacted, or closed by a request in the meantime
            _expire(locked, challenge, now, actor=EXPIRY_ACTOR)
            expired += 1
    return expired


def phone_status(challenge: PhoneChallenge) -> dict[str, object]:
    """What the API shows of the challenge: no number, no code."""
    delivery = "failed" if challenge.delivery_error else ("sent" if challenge.sent_at else "pending")
    return {
        "delivery": delivery,
        "code_expires_at": challenge.code_expires_at,
        "resend_available_at": challenge.requested_at
        + timedelta(seconds=settings.PHONE_RESEND_COOLDOWN_SECONDS),
        "attempts_remaining": max(0, settings.PHONE_CODE_MAX_ATTEMPTS - challenge.failed_attempts),
        "expires_at": challenge.expires_at,
        "verified_at": challenge.verified_at,
    }
