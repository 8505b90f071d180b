"""Phone verification over the API: numbers, codes by SMS (moto's SNS), attempts, resends, expiry."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from rest_framework.test import APIClient

from config.celery import app as celery_app
from tests.aws_standin import Fault, StandIn
from verification.models import Event, PhoneChallenge, Status, Verification
from verification.phone_numbers import phone_digest
from verification.retention_scan import message_carries_only_ids
from verification.services.phone import phone_challenges_expire, phone_code_send

pytestmark = pytest.mark.django_db

NUMBER = "+447400123456"


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def create(api: APIClient, number: str = "07400 123456") -> dict[str, Any]:
    response = api.post(
        "/v1/verifications", {"subject": "seller-9", "type": "phone", "phone_number": number}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def texts_to(number: str) -> list[str]:
    messages = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    return [message for phone, message in messages if phone == number]


def latest_code(number: str = NUMBER) -> str:
    match = re.search(r"\b(\d{6})\b", texts_to(number)[-1])
    assert match is not None
    return match.group(1)


@pytest.fixture(autouse=True)
def _clean_sms() -> None:
    sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.clear()


def test_a_phone_number_is_verified_by_the_code_it_received(
    api: APIClient, providers_on: StandIn, tenant: Any
) -> None:
    created = create(api)
    assert created["type"] == "phone"
    assert created["status"] == "requires_input"
    assert created["phone"]["delivery"] == "pending"
    phone_code_send(verification_id=created["id"])  # what the worker task does
    assert len(texts_to(NUMBER)) == 1  # normalised to E.164 before sending

    phone = client_with(created["client_secret"])
    assert phone.get(f"/v1/verifications/{created['id']}").json()["phone"]["delivery"] == "sent"
    response = phone.post(
        f"/v1/verifications/{created['id']}/phone-code", {"code": latest_code()}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "verified"
    assert body["derived"] == {"phone_verified": True}
    assert [c["name"] for c in body["checks"]] == ["phone_code"]
    # Only the outcome and a keyed hash stay: the sealed number and the code's secret are gone.
    challenge = PhoneChallenge.objects.get(verification_id=created["id"])
    assert challenge.sealed is None
    assert challenge.wrapped_key is None
    assert challenge.number_digest == phone_digest(tenant_id=str(tenant.id), e164=NUMBER)
    assert challenge.verified_at is not None
    types = list(
        Event.objects.filter(verification_id=created["id"])
        .order_by("created_at")
        .values_list("type", flat=True)
    )
    assert types == ["verification.processing", "verification.verified"]


def test_the_number_is_never_stored_in_clear(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    digits = NUMBER.lstrip("+")
    with connection.cursor() as cursor:
        for table in (
            "verification_verification",
            "verification_phonechallenge",
            "verification_event",
            "verification_auditrecord",
            "verification_providercall",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = json.dumps([list(map(str, row)) for row in cursor.fetchall()])
            assert digits not in dump, table
            assert "7400 123456" not in dump, table
    phone_code_send(verification_id=created["id"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM verification_providercall")
        assert digits not in json.dumps([list(map(str, row)) for row in cursor.fetchall()])


def test_the_send_task_gets_the_id_only(
    api: APIClient, providers_on: StandIn, django_capture_on_commit_callbacks: Any
) -> None:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client  # type: ignore[attr-defined]
        before = client.llen(queue)
        with django_capture_on_commit_callbacks(execute=True):
            created = create(api)
        raw = client.lindex(queue, 0)
        assert client.llen(queue) == before + 1
        client.lrem(queue, 1, raw)  # nobody consumes this queue here; do not leave it for the e2e worker
    message = json.loads(raw)
    assert message["headers"]["task"] == "verification.send_phone_code"
    assert created["id"] in message["headers"]["argsrepr"]
    assert NUMBER.lstrip("+") not in raw.decode()
    assert message_carries_only_ids(raw)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("not a number", "invalid_phone_number"),
        ("+44 20 7183 8750", "phone_number_not_mobile"),  # a London fixed line
        ("+1 555", "invalid_phone_number"),
        ("", "invalid_phone_number"),
    ],
)
def test_bad_numbers_are_a_400_and_nothing_is_stored(
    api: APIClient, providers_on: StandIn, number: str, code: str
) -> None:
    response = api.post(
        "/v1/verifications", {"subject": "s", "type": "phone", "phone_number": number}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {code, "validation_error"}
    if number:
        assert response.json()["error"]["code"] == code
    assert number not in json.dumps(response.json()) or not number
    assert not Verification.objects.exists()


def test_wrong_codes_count_and_the_last_one_rejects(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    phone_code_send(verification_id=created["id"])
    right = latest_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    phone = client_with(created["client_secret"])
    url = f"/v1/verifications/{created['id']}/phone-code"
    for remaining in range(settings.PHONE_CODE_MAX_ATTEMPTS - 1, 0, -1):
        response = phone.post(url, {"code": wrong}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "phone_code_invalid",
            "message": "The code is not valid or has expired.",
            "details": {"attempts_remaining": remaining},
        }
    last = phone.post(url, {"code": wrong}, format="json")
    assert last.status_code == 400
    assert last.json()["error"]["code"] == "too_many_attempts"
    verification = Verification.objects.get(pk=created["id"])
    assert verification.status == Status.REJECTED
    assert (verification.last_error or {}).get("code") == "too_many_attempts"
    assert PhoneChallenge.objects.get(pk=created["id"]).sealed is None
    # The right code is useless now.
    assert phone.post(url, {"code": right}, format="json").status_code == 409


def test_an_expired_code_is_refused(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    phone_code_send(verification_id=created["id"])
    PhoneChallenge.objects.filter(pk=created["id"]).update(
        code_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client_with(created["client_secret"]).post(
        f"/v1/verifications/{created['id']}/phone-code", {"code": latest_code()}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "phone_code_invalid"


def test_resend_waits_for_the_cooldown_and_replaces_the_code(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    phone_code_send(verification_id=created["id"])
    first = latest_code()
    phone = client_with(created["client_secret"])
    resend = f"/v1/verifications/{created['id']}/phone-code/resend"
    early = phone.post(resend)
    assert early.status_code == 429
    assert early.json()["error"]["code"] == "phone_resend_cooldown"
    assert 0 < early.json()["error"]["details"]["retry_after"] <= settings.PHONE_RESEND_COOLDOWN_SECONDS + 1

    PhoneChallenge.objects.filter(pk=created["id"]).update(requested_at=timezone.now() - timedelta(minutes=5))
    assert phone.post(resend).status_code == 202
    phone_code_send(verification_id=created["id"])
    second = latest_code()
    assert len(texts_to(NUMBER)) == 2
    url = f"/v1/verifications/{created['id']}/phone-code"
    if first != second:  # the old code stopped working (HOTP counter moved on)
        assert phone.post(url, {"code": first}, format="json").status_code == 400
    assert phone.post(url, {"code": second}, format="json").json()["status"] == "verified"


def test_a_redelivered_send_does_not_text_twice(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    phone_code_send(verification_id=created["id"])
    phone_code_send(verification_id=created["id"])
    assert len(texts_to(NUMBER)) == 1


def test_resends_are_limited(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    phone = client_with(created["client_secret"])
    with override_settings(PHONE_RESEND_COOLDOWN_SECONDS=0, PHONE_MAX_SENDS=2):
        assert phone.post(f"/v1/verifications/{created['id']}/phone-code/resend").status_code == 202
        limited = phone.post(f"/v1/verifications/{created['id']}/phone-code/resend")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "phone_send_limit"


def test_an_expired_challenge_forgets_the_number(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    PhoneChallenge.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert phone_challenges_expire() == 1
    assert PhoneChallenge.objects.get(pk=created["id"]).sealed is None
    # The verification ends (final status, event for the tenant, retention starts), not left waiting.
    verification = Verification.objects.get(pk=created["id"])
    assert verification.status == Status.REJECTED
    assert (verification.last_error or {}).get("code") == "phone_challenge_expired"
    assert verification.decided_at is not None
    assert Event.objects.filter(verification_id=created["id"], type="verification.rejected").exists()
    assert phone_challenges_expire() == 0
    phone_code_send(verification_id=created["id"])
    assert texts_to(NUMBER) == []
    response = client_with(created["client_secret"]).post(
        f"/v1/verifications/{created['id']}/phone-code", {"code": "123456"}, format="json"
    )
    assert response.status_code == 409


def test_cancel_and_redact_forget_the_number(api: APIClient, providers_on: StandIn) -> None:
    first, second = create(api), create(api)
    assert api.post(f"/v1/verifications/{first['id']}/cancel").status_code == 200
    assert PhoneChallenge.objects.get(pk=first["id"]).sealed is None
    assert api.post(f"/v1/verifications/{second['id']}/redact").status_code == 200
    assert not PhoneChallenge.objects.filter(pk=second["id"]).exists()


def test_a_permanent_sms_error_is_shown_as_failed_delivery(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    providers_on.inject("Publish", Fault.error(400, "InvalidParameter"))
    with override_settings(AWS_SNS_ENDPOINT_URL=providers_on.url):  # through the stand-in to moto
        phone_code_send(verification_id=created["id"])
    assert providers_on.requests["Publish"] == 1  # permanent: not retried
    body = api.get(f"/v1/verifications/{created['id']}").json()
    assert body["phone"]["delivery"] == "failed"
    assert texts_to(NUMBER) == []


def test_sns_throttling_is_retried(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    providers_on.inject("Publish", Fault.error(400, "Throttling"), Fault.error(500, "InternalError"))
    with override_settings(AWS_SNS_ENDPOINT_URL=providers_on.url):
        phone_code_send(verification_id=created["id"])
    assert providers_on.requests["Publish"] == 3
    assert len(texts_to(NUMBER)) == 1
    assert api.get(f"/v1/verifications/{created['id']}").json()["phone"]["delivery"] == "sent"


def test_phone_verifications_take_no_files_and_no_submit(api: APIClient, providers_on: StandIn) -> None:
    created = create(api)
    assert api.post(f"/v1/verifications/{created['id']}/submit").json()["error"]["code"] == (
        "not_a_document_verification"
    )


def test_phone_needs_the_sms_adapter(api: APIClient) -> None:
    response = api.post(
        "/v1/verifications", {"subject": "s", "type": "phone", "phone_number": NUMBER}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "phone_not_enabled"


def test_phone_responses_match_the_schema(api: APIClient, providers_on: StandIn) -> None:
    from tests.api.test_schema_and_health import response_component, validate

    schema = APIClient().get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    created = create(api)
    validate(schema, response_component(schema, "/v1/verifications", "post", 201), created)
    phone_code_send(verification_id=created["id"])
    path = "/v1/verifications/{verification_id}/phone-code"
    wrong = api.post(f"/v1/verifications/{created['id']}/phone-code", {"code": "000000"}, format="json")
    if wrong.status_code == 400:  # (one time in a million the guess is right)
        validate(schema, response_component(schema, path, "post", 400), wrong.json())
    done = api.post(f"/v1/verifications/{created['id']}/phone-code", {"code": latest_code()}, format="json")
    validate(schema, response_component(schema, path, "post", 200), done.json())
    assert done.json()["phone"]["verified_at"] is not None


@pytest.mark.parametrize("path", ["phone-code", "phone-code/resend"])
def test_an_expired_challenge_found_by_a_request_rejects(
    api: APIClient, providers_on: StandIn, path: str
) -> None:
    created = create(api)
    PhoneChallenge.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_with(created["client_secret"]).post(
        f"/v1/verifications/{created['id']}/{path}", {"code": "123456"}, format="json"
    )
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "phone_challenge_expired"
    verification = Verification.objects.get(pk=created["id"])
    assert verification.status == Status.REJECTED
    assert (verification.last_error or {}).get("code") == "phone_challenge_expired"
    assert PhoneChallenge.objects.get(pk=created["id"]).sealed is None


@pytest.mark.parametrize("path", ["phone-code", "phone-code/resend"])
def test_a_redacted_phone_verification_is_a_409(api: APIClient, providers_on: StandIn, path: str) -> None:
    created = create(api)
    assert api.post(f"/v1/verifications/{created['id']}/redact").status_code == 200
    # (the client secret dies with the redaction; the tenant's key still reaches the endpoint)
    response = api.post(f"/v1/verifications/{created['id']}/{path}", {"code": "123456"}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "invalid_state_transition"


def test_the_send_task_gives_up_and_shows_failed_delivery_without_personal_data_in_logs(
    api: APIClient, providers_on: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from workers.tasks import send_phone_code

    created = create(api)
    # SNS answers 5xx to every attempt: the adapter retries, the circuit opens, the task retries
    # (eagerly here, the countdown is not waited) and gives up.
    providers_on.inject("Publish", *[Fault.error(500, "InternalError")] * 50)
    caplog.set_level(logging.DEBUG)
    with override_settings(AWS_SNS_ENDPOINT_URL=providers_on.url, PROVIDER_CIRCUIT_COOLDOWN_SECONDS=0):
        send_phone_code.apply(args=(created["id"],))
    assert providers_on.requests["Publish"] >= 2
    challenge = PhoneChallenge.objects.get(pk=created["id"])
    assert challenge.delivery_error != ""
    assert challenge.sent_at is None
    assert api.get(f"/v1/verifications/{created['id']}").json()["phone"]["delivery"] == "failed"
    assert "phone code gave up" in caplog.text
    logged = caplog.text + json.dumps([r.args for r in caplog.records], default=str)
    assert NUMBER.lstrip("+") not in logged
    assert "7400 123456" not in logged
    assert texts_to(NUMBER) == []


def test_logs_carry_neither_the_number_nor_the_code(
    api: APIClient, providers_on: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    created = create(api)
    phone_code_send(verification_id=created["id"])
    code = latest_code()
    phone = client_with(created["client_secret"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    phone.post(f"/v1/verifications/{created['id']}/phone-code", {"code": wrong}, format="json")
    done = phone.post(f"/v1/verifications/{created['id']}/phone-code", {"code": code}, format="json")
    assert done.json()["status"] == "verified"
    assert "phone code sent" in caplog.text  # the service did log, by id
    logged = caplog.text + json.dumps([r.args for r in caplog.records], default=str)
    assert NUMBER.lstrip("+") not in logged
    assert code not in logged
    assert wrong not in logged
