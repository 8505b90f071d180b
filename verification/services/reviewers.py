"""Reviewer accounts and their login: password plus a TOTP code (or a recovery code), with lockout.

A login attempt runs under the reviewer's row lock, so two attempts with the same code cannot both
pass. Failures are committed before the refusal is raised: the counter survives the error. After
REVIEW_LOCKOUT_THRESHOLD failures in a row every further failure doubles the wait (capped), and
while locked even a correct password and code are refused. Unknown usernames cost the same password
hash as known ones and answer the same `login_failed`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.utils import timezone

from verification import totp
from verification.crypto import Sealed, seal, unseal
from verification.errors import AuthenticationError, InvalidInput, Locked
from verification.models import RecoveryCode, Reviewer, ReviewerRole, ReviewerToken, Tenant
from verification.services.audit import audit_record
from verification.tokens import token_hash

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
REVIEWER_TOKEN_PREFIX = "rvt_"  # noqa: S105 - a prefix, not a secret
_ENROL_SALT = "tasdeeq.review.enrol"
# A hash of a random password: checking against it costs as much as checking a real one.
_DUMMY_PASSWORD_HASH = make_password(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class NewReviewer:
    reviewer: Reviewer
    password: str
    otpauth_uri: str
    recovery_codes: list[str]
    enrol_token: str


def _totp_context(reviewer: Reviewer) -> bytes:
    return reviewer.id.bytes + b"totp"


def reviewer_totp_secret(reviewer: Reviewer) -> str:
    sealed = Sealed(
        ciphertext=bytes(reviewer.totp_ciphertext),
        key_id=reviewer.totp_key_id,
        wrapped_key=bytes(reviewer.totp_wrapped_key),
    )
    return unseal(sealed, context=_totp_context(reviewer)).decode()


def reviewer_otpauth_uri(reviewer: Reviewer) -> str:
    return totp.provisioning_uri(
        reviewer_totp_secret(reviewer), name=reviewer.user.username, issuer=settings.REVIEW_TOTP_ISSUER
    )


def _recovery_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _new_recovery_codes(reviewer: Reviewer) -> list[str]:
    reviewer.recovery_codes.all().delete()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    rows = []
    for code in codes:
        salt = secrets.token_hex(8)
        rows.append(RecoveryCode(reviewer=reviewer, salt=salt, code_hash=_recovery_hash(salt, code)))
    RecoveryCode.objects.bulk_create(rows)
    return codes


def enrol_token_for(reviewer: Reviewer) -> str:
    return signing.dumps({"r": str(reviewer.id)}, salt=_ENROL_SALT)


def enrol_token_reviewer(token: str) -> Reviewer:
    """The reviewer an enrolment link is for, while the link is young and enrolment not yet done."""
    try:
        payload = signing.loads(token, salt=_ENROL_SALT, max_age=settings.REVIEW_ENROL_LINK_TTL_SECONDS)
    except signing.BadSignature:
        raise InvalidInput(
            "This enrolment link is not valid or has expired.", code="enrol_link_invalid"
        ) from None
    reviewer = Reviewer.objects.select_related("user").filter(pk=payload.get("r")).first()
    if reviewer is None or reviewer.enrolled_at is not None:
        raise InvalidInput("This enrolment link is not valid or has expired.", code="enrol_link_invalid")
    return reviewer


@transaction.atomic
def reviewer_create(
    *, username: str, tenant: Tenant | None, role: str = ReviewerRole.REVIEWER
) -> NewReviewer:
    """Create the user and the reviewer profile; returns the one-time secrets to hand over."""
    if role not in ReviewerRole.values:
        raise InvalidInput("Unknown reviewer role.", code="invalid_role", allowed=ReviewerRole.values)
    if User.objects.filter(username=username).exists():
        raise InvalidInput("A user with this username exists.", code="reviewer_exists")
    password = secrets.token_urlsafe(15)
    user = User.objects.create_user(username=username, password=password)
    secret = totp.new_secret()
    reviewer = Reviewer(user=user, tenant=tenant, role=role)
    sealed = seal(secret.encode(), context=_totp_context(reviewer))
    reviewer.totp_ciphertext = sealed.ciphertext
    reviewer.totp_key_id = sealed.key_id
    reviewer.totp_wrapped_key = sealed.wrapped_key
    reviewer.save()
    codes = _new_recovery_codes(reviewer)
    audit_record(
        actor="system:command",
        action="reviewer.created",
        target_type="reviewer",
        target_id=str(reviewer.id),
        tenant=tenant,
        details={"role": role},
    )
    return NewReviewer(
        reviewer=reviewer,
        password=password,
        otpauth_uri=totp.provisioning_uri(secret, name=username, issuer=settings.REVIEW_TOTP_ISSUER),
        recovery_codes=codes,
        enrol_token=enrol_token_for(reviewer),
    )


def _audit_login(reviewer: Reviewer, action: str, **details: object) -> None:
    audit_record(
        actor=f"reviewer:{reviewer.id}",
        action=action,
        target_type="reviewer",
        target_id=str(reviewer.id),
        tenant=str(reviewer.tenant_id) if reviewer.tenant_id else None,
        details=dict(details),
    )


def _lock_seconds(failures: int) -> int:
    extra = failures - settings.REVIEW_LOCKOUT_THRESHOLD
    if extra < 0:
        return 0
    return int(min(settings.REVIEW_LOCKOUT_MAX_SECONDS, settings.REVIEW_LOCKOUT_BASE_SECONDS * 2**extra))


def _second_factor(reviewer: Reviewer, code: str) -> tuple[bool, str]:
    """Check a TOTP code (or a recovery code); returns (ok, how) and consumes what was used."""
    code = code.strip()
    if "-" in code:  # recovery codes are "xxxxxxxx-xxxxxxxx"; TOTP codes are six digits
        for row in reviewer.recovery_codes.select_for_update().filter(used_at__isnull=True):
            if hmac.compare_digest(row.code_hash, _recovery_hash(row.salt, code.lower())):
                row.used_at = timezone.now()
                row.save(update_fields=["used_at"])
                return True, "recovery_code"
        return False, "bad_recovery_code"
    step = totp.matching_step(reviewer_totp_secret(reviewer), code)
    if step is None:
        return False, "bad_totp"
    if reviewer.last_totp_step is not None and step <= reviewer.last_totp_step:
        return False, "replayed_totp"
    reviewer.last_totp_step = step
    return True, "totp"


def reviewer_login(*, username: str, password: str, code: str) -> Reviewer:
    """Password and second factor; raises `login_failed` (401) or `reviewer_locked` (429)."""
    failure: AuthenticationError | Locked | None = None
    with transaction.atomic():
        reviewer = (
            Reviewer.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(user__username=username, user__is_active=True)
            .first()
        )
        if reviewer is None:
            User().set_password(password)  # the same hashing cost as a real check
            raise AuthenticationError()
        now = timezone.now()
        if reviewer.locked_until is not None and reviewer.locked_until > now:
            retry_after = int((reviewer.locked_until - now).total_seconds()) + 1
            _audit_login(reviewer, "reviewer.login_refused_locked")
            failure = Locked(retry_after=retry_after)
        else:
            ok, how = (False, "bad_password")
            if reviewer.user.check_password(password):
                ok, how = _second_factor(reviewer, code)
            if ok:
                reviewer.failed_attempts = 0
                reviewer.locked_until = None
                reviewer.save(update_fields=["failed_attempts", "locked_until", "last_totp_step"])
                reviewer.user.last_login = now
                reviewer.user.save(update_fields=["last_login"])
                _audit_login(reviewer, "reviewer.login", factor=how)
            else:
                reviewer.failed_attempts += 1
                wait = _lock_seconds(reviewer.failed_attempts)
                reviewer.locked_until = now + timedelta(seconds=wait) if wait else None
                reviewer.save(update_fields=["failed_attempts", "locked_until"])
                _audit_login(reviewer, "reviewer.login_failed", reason=how, failures=reviewer.failed_attempts)
                if wait:
                    _audit_login(reviewer, "reviewer.locked", seconds=wait)
                    failure = Locked(retry_after=wait)
                else:
                    failure = AuthenticationError()
    if failure is not None:
        logger.info("reviewer login refused reviewer=%s code=%s", reviewer.id, failure.code)
        raise failure
    return reviewer


@transaction.atomic
def reviewer_enrol(*, token: str, code: str) -> tuple[Reviewer, list[str]]:
    """Confirm the authenticator app works (one valid code); issues fresh recovery codes, shown once."""
    reviewer = enrol_token_reviewer(token)
    reviewer = Reviewer.objects.select_for_update().select_related("user").get(pk=reviewer.pk)
    ok, how = _second_factor(reviewer, code) if "-" not in code else (False, "bad_totp")
    if not ok:
        raise InvalidInput(
            "The code is not valid. Check the phone's clock and try again.", code="totp_invalid"
        )
    reviewer.enrolled_at = timezone.now()
    reviewer.save(update_fields=["enrolled_at", "last_totp_step"])
    codes = _new_recovery_codes(reviewer)
    _audit_login(reviewer, "reviewer.enrolled", factor=how)
    return reviewer, codes


@transaction.atomic
def reviewer_token_issue(*, reviewer: Reviewer) -> tuple[ReviewerToken, str]:
    raw = REVIEWER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ReviewerToken.objects.create(
        reviewer=reviewer,
        token_hash=token_hash(raw),
        expires_at=timezone.now() + timedelta(seconds=settings.REVIEW_TOKEN_TTL_SECONDS),
    )
    return token, raw


@transaction.atomic
def reviewer_token_revoke(*, token: ReviewerToken) -> None:
    ReviewerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _audit_login(token.reviewer, "reviewer.logout")


def reviewer_session_start(*, reviewer: Reviewer) -> None:
    _audit_login(reviewer, "reviewer.session_started")


def reviewer_session_end(*, reviewer: Reviewer) -> None:
    _audit_login(reviewer, "reviewer.logout")
