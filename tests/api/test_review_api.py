"""/v1/review over HTTP: login with TOTP, claim, view, images, decide; errors in the one shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.reviewing import Person, make_reviewer, review_setup, waiting_case  # noqa: F401
from verification.models import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_setup")]


def logged_in(person: Person) -> APIClient:
    response = APIClient().post(
        "/v1/review/login", {"username": person.username, "password": person.password, "code": person.code()}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token"].startswith("rvt_") and body["reviewer"]["username"] == person.username
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    return client


def test_claim_view_image_and_decide(tenant: Tenant, api: APIClient) -> None:
    case = waiting_case(tenant)
    client = logged_in(make_reviewer("holder", tenant=tenant))
    queue = client.get("/v1/review/queue").json()
    assert queue["count"] == 1 and queue["cases"][0]["reason_codes"] == ["check_unavailable"]

    claimed = client.post("/v1/review/claim", {})
    assert claimed.status_code == 200
    detail = claimed.json()
    assert detail["id"] == str(case.id) and detail["verification"]["status"] == "needs_review"
    assert detail["verification"]["checks"][0]["name"] == "processing"
    assert {d["kind"] for d in detail["documents"]} == {"id_front", "selfie"}
    assert detail["documents_purged"] is False

    image = client.get(detail["documents"][0]["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert "no-store" in image["Cache-Control"]
    assert image.content[:3] == b"\xff\xd8\xff"

    # Another reviewer, logged in, cannot use the holder's link.
    other = logged_in(make_reviewer("other", tenant=tenant))
    stolen = other.get(detail["documents"][0]["url"])
    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "permission_denied"
    assert other.get(f"/v1/review/cases/{case.id}").json()["error"]["code"] == "review_lease_not_held"

    bad = client.post(f"/v1/review/cases/{case.id}/decision", {"decision": "approve", "reason_code": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    decided = client.post(
        f"/v1/review/cases/{case.id}/decision",
        {"decision": "reject", "reason_code": "document_forged", "note": "edited birth date"},
    )
    assert decided.status_code == 200 and decided.json()["verification_status"] == "rejected"
    seen_by_tenant = api.get(f"/v1/verifications/{case.verification_id}").json()
    assert (
        seen_by_tenant["status"] == "rejected" and seen_by_tenant["last_error"]["code"] == "document_forged"
    )
    assert client.post("/v1/review/claim", {}).status_code == 204  # nothing left


def test_login_errors_and_lockout_over_http(tenant: Tenant) -> None:
    person = make_reviewer("locky")
    client = APIClient()
    wrong = client.post(
        "/v1/review/login", {"username": "locky", "password": person.password, "code": "000000"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "login_failed"
    for _ in range(3):
        client.post("/v1/review/login", {"username": "locky", "password": "x", "code": "000000"})
    locked = client.post("/v1/review/login", {"username": "locky", "password": "x", "code": "000000"})
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "reviewer_locked"
    assert locked.json()["error"]["details"]["retry_after"] == 60
    missing = client.post("/v1/review/login", {"username": "locky"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "validation_error"


def test_review_endpoints_need_a_reviewer_token(tenant: Tenant, api: APIClient) -> None:
    assert APIClient().get("/v1/review/queue").json()["error"]["code"] == "not_authenticated"
    # A tenant's API key is not a reviewer's credential.
    assert api.get("/v1/review/queue").status_code == 401
    bogus = APIClient()
    bogus.credentials(HTTP_AUTHORIZATION="Bearer rvt_notatoken")
    assert bogus.get("/v1/review/queue").json()["error"]["code"] == "authentication_failed"
    # Logout revokes the token.
    client = logged_in(make_reviewer("short"))
    assert client.post("/v1/review/logout").status_code == 204
    assert client.get("/v1/review/queue").status_code == 401


def test_tenant_scoping_over_http(tenant: Tenant) -> None:
    from verification.services.tenants import tenant_create

    other_tenant = tenant_create(slug="elsewhere")[0]
    theirs = waiting_case(other_tenant, documents=False)
    client = logged_in(make_reviewer("scoped", tenant=tenant))
    assert client.get("/v1/review/queue").json()["count"] == 0
    assert client.post("/v1/review/claim", {}).status_code == 204
    response = client.get(f"/v1/review/cases/{theirs.id}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "review_case_not_found"
    assert client.get("/v1/review/cases/not-a-uuid").status_code == 404


def test_health_reason_codes_and_four_eyes_over_http(tenant: Tenant) -> None:
    waiting_case(tenant, documents=False)
    lead = logged_in(make_reviewer("lead", role="lead"))
    plain = logged_in(make_reviewer("plain"))
    health = lead.get("/v1/review/health").json()
    assert health["waiting"] == 1 and health["oldest_waiting"] is not None
    # Test-mode cases are counted apart: none here.
    testing = lead.get("/v1/review/health", {"livemode": "false"}).json()
    assert testing["livemode"] is False and testing["waiting"] == 0 and testing["oldest_waiting"] is None
    codes = {r["code"] for r in lead.get("/v1/review/reason-codes").json()["reason_codes"]}
    assert {"approved_after_review", "document_forged", "face_mismatch", "underage"} <= codes
    refused = plain.post("/v1/review/four-eyes", {"reason_code": "underage", "require_second_reviewer": True})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "lead_required"
    rule = {"reason_code": "underage", "require_second_reviewer": True, "tenant": tenant.slug}
    assert lead.post("/v1/review/four-eyes", rule).status_code == 204
    assert lead.get("/v1/review/four-eyes").json()["rules"] == [
        {"reason_code": "underage", "tenant": tenant.slug}
    ]


def test_the_schema_lists_the_review_endpoints() -> None:
    schema = APIClient().get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"/v1/review/login", "/v1/review/claim", "/v1/review/cases/{case_id}/decision"} <= set(
        schema["paths"]
    )
    assert "reviewerToken" in schema["components"]["securitySchemes"]


def test_real_review_responses_match_the_schema(tenant: Tenant) -> None:
    from tests.api.test_schema_and_health import response_component, validate

    schema = APIClient().get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    def check(path: str, method: str, body: object) -> None:
        validate(schema, response_component(schema, path, method, 200), body)

    case = waiting_case(tenant)
    person = make_reviewer("schema", role="lead")
    login = APIClient().post(
        "/v1/review/login", {"username": person.username, "password": person.password, "code": person.code()}
    )
    check("/v1/review/login", "post", login.json())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    check("/v1/review/queue", "get", client.get("/v1/review/queue").json())
    check("/v1/review/claim", "post", client.post("/v1/review/claim", {}).json())
    check("/v1/review/cases/{case_id}", "get", client.get(f"/v1/review/cases/{case.id}").json())
    check("/v1/review/cases/{case_id}/renew", "post", client.post(f"/v1/review/cases/{case.id}/renew").json())
    decided = client.post(
        f"/v1/review/cases/{case.id}/decision",
        {"decision": "approve", "reason_code": "approved_after_review"},
    )
    check("/v1/review/cases/{case_id}/decision", "post", decided.json())
    check("/v1/review/health", "get", client.get("/v1/review/health").json())
    check("/v1/review/reason-codes", "get", client.get("/v1/review/reason-codes").json())
    client.post("/v1/review/four-eyes", {"reason_code": "underage", "require_second_reviewer": True})
    check("/v1/review/four-eyes", "get", client.get("/v1/review/four-eyes").json())


def test_expired_tokens_and_purged_images_over_http(tenant: Tenant) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from verification.models import ReviewerToken
    from verification.services.retention import documents_purge_expired

    case = waiting_case(tenant)
    client = logged_in(make_reviewer("late"))
    detail = client.post("/v1/review/claim", {}).json()
    documents_purge_expired(now=timezone.now() + timedelta(days=31))
    gone = client.get(detail["documents"][0]["url"])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "documents_purged"
    after = client.get(f"/v1/review/cases/{case.id}").json()
    assert (
        after["documents_purged"] is True and after["documents"] == [] and after["verified_outputs"] is None
    )
    ReviewerToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get("/v1/review/queue")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "reviewer_token_expired"
