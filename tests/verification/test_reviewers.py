"""Reviewer accounts and login: password + TOTP, drift of one step, no replay, lockout, recovery codes."""

from __future__ import annotations

import io
import json
import time

import pyotp
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tests.reviewing import make_reviewer, review_setup, secret_of  # noqa: F401
from verification import totp
from verification.errors import AuthenticationError, Locked
from verification.models import AuditRecord, Reviewer, Tenant
from verification.services.reviewers import reviewer_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_setup")]

# The middle of a 30-second step, so a test never straddles a step boundary.
NOW = (int(time.time()) // 30) * 30 + 15.0


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(totp.time, "time", lambda: NOW)
    return NOW


def test_create_reviewer_prints_one_time_secrets_and_stores_none_in_clear(tenant: Tenant) -> None:
    out = io.StringIO()
    call_command("create_reviewer", "amina", "--tenant", tenant.slug, "--role", "lead", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["username"] == "amina" and printed["role"] == "lead" and printed["tenant"] == tenant.slug
    assert printed["otpauth_uri"].startswith("otpauth://totp/")
    assert "/review/enrol/" in printed["enrol_url"]
    assert len(printed["recovery_codes"]) == 10
    reviewer = Reviewer.objects.select_related("user").get(pk=printed["reviewer"])
    assert reviewer.tenant == tenant and reviewer.is_lead
    secret = secret_of(printed["otpauth_uri"])
    assert secret.encode() not in bytes(reviewer.totp_ciphertext)
    assert printed["password"] not in reviewer.user.password
    assert reviewer.user.check_password(printed["password"])
    stored_codes = set(reviewer.recovery_codes.values_list("code_hash", flat=True))
    assert not stored_codes & set(printed["recovery_codes"])
    # The secrets never reach the audit trail.
    for record in AuditRecord.objects.all():
        assert printed["password"] not in json.dumps(record.details)


def test_create_reviewer_refuses_unknown_tenant_and_duplicates() -> None:
    with pytest.raises(CommandError):
        call_command("create_reviewer", "x", "--tenant", "nope", stdout=io.StringIO())
    call_command("create_reviewer", "x", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_reviewer", "x", stdout=io.StringIO())
    assert User.objects.filter(username="x").count() == 1


def test_login_needs_password_and_code(frozen: float) -> None:
    person = make_reviewer("bilal")
    with pytest.raises(AuthenticationError):
        reviewer_login(username="bilal", password="wrong", code=person.code(at=frozen))
    with pytest.raises(AuthenticationError):
        reviewer_login(username="bilal", password=person.password, code="000000")
    with pytest.raises(AuthenticationError):
        reviewer_login(username="nobody", password=person.password, code=person.code(at=frozen))
    reviewer = reviewer_login(username="bilal", password=person.password, code=person.code(at=frozen))
    assert reviewer.pk == person.reviewer.pk
    reviewer.refresh_from_db()
    assert reviewer.failed_attempts == 0  # a success resets the counter


def test_a_used_code_cannot_be_replayed(frozen: float) -> None:
    person = make_reviewer("chen")
    code = person.code(at=frozen)
    reviewer_login(username="chen", password=person.password, code=code)
    with pytest.raises(AuthenticationError):
        reviewer_login(username="chen", password=person.password, code=code)
    failed = AuditRecord.objects.filter(action="reviewer.login_failed").get()
    assert failed.details["reason"] == "replayed_totp"
    assert code not in json.dumps(failed.details)


def test_one_step_of_drift_either_way_and_never_backwards(frozen: float) -> None:
    person = make_reviewer("dana")
    login = lambda steps: reviewer_login(  # noqa: E731
        username="dana", password=person.password, code=person.code(at=frozen, steps=steps)
    )
    with pytest.raises(AuthenticationError):
        login(-2)  # two steps old: outside the window
    with pytest.raises(AuthenticationError):
        login(2)
    login(-1)  # a phone 30 s behind
    login(1)  # a phone 30 s ahead
    with pytest.raises(AuthenticationError):
        login(0)  # older than the step just used: a replay of a kind


def test_lockout_with_backoff_then_recovery(frozen: float) -> None:
    person = make_reviewer("emre")
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            reviewer_login(username="emre", password=person.password, code="123456")
    with pytest.raises(Locked) as locked:
        reviewer_login(username="emre", password=person.password, code="123456")
    assert locked.value.details["retry_after"] == 60
    # While locked, even the right password and code are refused, and that is not a new failure.
    with pytest.raises(Locked):
        reviewer_login(username="emre", password=person.password, code=person.code(at=frozen))
    reviewer = Reviewer.objects.get(pk=person.reviewer.pk)
    assert reviewer.failed_attempts == 5
    # The lock expires; another failure doubles the wait.
    Reviewer.objects.filter(pk=reviewer.pk).update(locked_until=None)
    with pytest.raises(Locked) as again:
        reviewer_login(username="emre", password="wrong", code=person.code(at=frozen))
    assert again.value.details["retry_after"] == 120
    Reviewer.objects.filter(pk=reviewer.pk).update(locked_until=None)
    reviewer_login(username="emre", password=person.password, code=person.code(at=frozen))
    reviewer.refresh_from_db()
    assert reviewer.failed_attempts == 0 and reviewer.locked_until is None
    actions = list(AuditRecord.objects.filter(target_id=str(reviewer.pk)).values_list("action", flat=True))
    assert actions.count("reviewer.locked") == 2 and "reviewer.login_refused_locked" in actions


def test_recovery_codes_work_once() -> None:
    person = make_reviewer("farah")
    code = person.recovery_codes[0]
    reviewer_login(username="farah", password=person.password, code=code)
    with pytest.raises(AuthenticationError):
        reviewer_login(username="farah", password=person.password, code=code)
    reviewer_login(username="farah", password=person.password, code=person.recovery_codes[1].upper())
    with pytest.raises(AuthenticationError):
        reviewer_login(username="farah", password=person.password, code="0000abcd-0000abcd")


def test_matching_step_is_pyotp_compatible() -> None:
    secret = totp.new_secret()
    moment = NOW
    assert totp.matching_step(secret, pyotp.TOTP(secret).at(moment), now=moment) == int(moment // 30)
    assert totp.matching_step(secret, "12345", now=moment) is None
    assert totp.qr_svg(totp.provisioning_uri(secret, name="x", issuer="T")).lstrip().startswith("<svg")
