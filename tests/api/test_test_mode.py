"""Test mode: tdq_test_ keys, forced outcomes, no provider calls, and no mixing with live data."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.images import jpeg
from verification.models import Event, Tenant, Verification
from verification.services.processing import verification_process
from verification.services.tenants import api_key_create
from verification.test_mode import verification_calls_providers


@pytest.fixture
def test_api(tenant: Tenant) -> APIClient:
    _, key = api_key_create(tenant=tenant, livemode=False)
    assert key.startswith("tdq_test_")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _submitted(client: APIClient, **options: str) -> dict[str, str]:
    created = client.post("/v1/verifications", {"subject": "seller-1", "type": "document", **options})
    assert created.status_code == 201, created.json()
    body = created.json()
    for kind, seed in (("id_front", 1), ("selfie", 2)):
        response = client.post(
            f"/v1/verifications/{body['id']}/files",
            {"kind": kind, "file": _file(jpeg(seed=seed))},
            format="multipart",
        )
        assert response.status_code == 201
    assert client.post(f"/v1/verifications/{body['id']}/submit").status_code == 202
    return dict(body)


def _file(data: bytes) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = "photo.jpg"
    return handle


@pytest.mark.parametrize(
    ("outcome", "status", "code"),
    [
        ("verified", "verified", None),
        ("rejected", "rejected", "selfie_face_mismatch"),
        ("needs_review", "needs_review", None),
        ("requires_input", "requires_input", "image_too_blurry"),
    ],
)
def test_a_test_key_forces_the_outcome(
    test_api: APIClient, outcome: str, status: str, code: str | None
) -> None:
    body = _submitted(test_api, test_outcome=outcome)
    assert verification_process(verification_id=body["id"]) == status
    result = test_api.get(f"/v1/verifications/{body['id']}").json()
    assert result["livemode"] is False and result["status"] == status
    assert (result["last_error"] or {}).get("code") == code
    events = Event.objects.filter(verification_id=body["id"])
    assert {e.livemode for e in events} == {False}


def test_requires_input_then_verified_on_the_second_submission(test_api: APIClient) -> None:
    body = _submitted(test_api, test_outcome="requires_input")
    assert verification_process(verification_id=body["id"]) == "requires_input"
    test_api.post(
        f"/v1/verifications/{body['id']}/files",
        {"kind": "id_front", "file": _file(jpeg(seed=5))},
        format="multipart",
    )
    assert test_api.post(f"/v1/verifications/{body['id']}/submit").status_code == 202
    assert verification_process(verification_id=body["id"]) == "verified"


def test_live_keys_cannot_force_outcomes(api: APIClient) -> None:
    response = api.post("/v1/verifications", {"subject": "s", "type": "document", "test_outcome": "verified"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "test_mode_only"


def test_test_and_live_never_mix(api: APIClient, test_api: APIClient) -> None:
    live = api.post("/v1/verifications", {"subject": "s-live", "type": "document"}).json()
    test = test_api.post("/v1/verifications", {"subject": "s-test", "type": "document"}).json()
    assert live["livemode"] is True and test["livemode"] is False
    assert [v["id"] for v in api.get("/v1/verifications").json()["results"]] == [live["id"]]
    assert [v["id"] for v in test_api.get("/v1/verifications").json()["results"]] == [test["id"]]
    assert api.get(f"/v1/verifications/{test['id']}").json()["error"]["code"] == "verification_not_found"
    assert test_api.get(f"/v1/verifications/{live['id']}").json()["error"]["code"] == "verification_not_found"
    assert test_api.post(f"/v1/verifications/{live['id']}/cancel").status_code == 404


def test_test_mode_verifications_never_call_providers(api: APIClient, test_api: APIClient) -> None:
    live = Verification.objects.get(
        pk=api.post("/v1/verifications", {"subject": "a", "type": "document"}).json()["id"]
    )
    test = Verification.objects.get(
        pk=test_api.post("/v1/verifications", {"subject": "b", "type": "document"}).json()["id"]
    )
    assert verification_calls_providers(live) is True
    assert verification_calls_providers(test) is False


def test_create_api_key_makes_test_keys(tenant: Tenant) -> None:
    out = io.StringIO()
    call_command("create_api_key", tenant.slug, "--test", stdout=out)
    assert json.loads(out.getvalue())["api_key"].startswith("tdq_test_")


def test_return_url_must_be_https_or_an_allowed_host(api: APIClient) -> None:
    ok = api.post(
        "/v1/verifications", {"subject": "s", "type": "document", "return_url": "https://shop.example/done"}
    )
    assert ok.status_code == 201
    assert ok.json()["capture_url"].endswith(f"/v/{ok.json()['client_secret']}")
    local = api.post(
        "/v1/verifications", {"subject": "s", "type": "document", "return_url": "http://127.0.0.1/x"}
    )
    assert local.status_code == 201
    bad = api.post(
        "/v1/verifications", {"subject": "s", "type": "document", "return_url": "http://shop.example/x"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "return_url_not_allowed"


def test_a_test_mode_verification_skips_the_tenants_providers(tenant: Tenant) -> None:
    from kyc.results import passed
    from verification.models import ProviderCall
    from verification.pipeline import PipelineResult
    from verification.policy import Policy
    from verification.services.providers import run_provider_checks
    from verification.services.verifications import verification_create

    policy = Policy.from_mapping({"providers": {"aws_rekognition": "required", "aws_textract": "required"}})
    local = PipelineResult([passed("face_match"), passed("document")])
    test, _ = verification_create(tenant=tenant, subject="s", type="document", livemode=False)
    assert (
        run_provider_checks(verification=test, policy=policy, images={"selfie": b"x"}, local=local) is local
    )
    assert not ProviderCall.objects.exists()


def test_phone_verifications_are_refused_in_test_mode(test_api: APIClient) -> None:
    response = test_api.post(
        "/v1/verifications", {"subject": "s", "type": "phone", "phone_number": "+923001234567"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "test_mode_only"


def test_test_outcome_is_for_document_verifications(tenant: Tenant) -> None:
    from verification.errors import InvalidInput
    from verification.services.verifications import verification_create

    with pytest.raises(InvalidInput):
        verification_create(
            tenant=tenant, subject="s", type="affiliation", livemode=False, test_outcome="verified"
        )
