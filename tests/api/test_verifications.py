"""The verification resource over HTTP: lifecycle, scoping, secrets, transitions, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from tests.images import jpeg
from verification.models import Document, Status, Verification
from verification.services.webhooks import webhooks_kick

pytestmark = pytest.mark.django_db


def create(api: APIClient, subject: str = "user-42") -> dict[str, Any]:
    response = api.post("/v1/verifications", {"subject": subject, "type": "document"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def upload(client: APIClient, verification_id: str, kind: str, data: bytes, name: str = "photo.jpg") -> Any:
    return client.post(
        f"/v1/verifications/{verification_id}/files",
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="image/jpeg")},
        format="multipart",
    )


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_create_returns_the_object_and_a_client_secret(api: APIClient) -> None:
    body = create(api)
    assert body["status"] == "requires_input"
    assert body["type"] == "document"
    assert body["subject"] == "user-42"
    assert body["client_secret"].startswith("vcs_")
    assert body["last_error"] is None
    assert body["checks"] == []
    assert body["submitted_at"] is None and body["decided_at"] is None
    assert body["documents_expire_at"] is not None
    # The secret is shown once: reading the verification never returns it again.
    again = api.get(f"/v1/verifications/{body['id']}").json()
    assert "client_secret" not in again
    stored = Verification.objects.get(pk=body["id"])
    assert body["client_secret"] not in stored.client_secret_hash


def test_requests_without_or_with_a_bad_key_are_refused(api: APIClient) -> None:
    anonymous = APIClient()
    response = anonymous.get("/v1/verifications")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    response = client_with("tdq_live_not-a-real-key").get("/v1/verifications")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_invalid_body_answers_validation_error(api: APIClient) -> None:
    response = api.post("/v1/verifications", {"subject": "", "type": "selfie-only"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {"subject", "type"}


def test_malformed_json_answers_malformed_request(api: APIClient) -> None:
    response = api.generic("POST", "/v1/verifications", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_another_tenants_verification_is_404(api: APIClient, other_api: APIClient) -> None:
    body = create(api)
    for method, path in [
        ("get", f"/v1/verifications/{body['id']}"),
        ("post", f"/v1/verifications/{body['id']}/submit"),
        ("post", f"/v1/verifications/{body['id']}/cancel"),
    ]:
        response = getattr(other_api, method)(path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "verification_not_found"
    assert upload(other_api, body["id"], "selfie", jpeg()).status_code == 404
    assert other_api.get("/v1/verifications").json()["results"] == []


def test_unknown_and_malformed_ids_are_404(api: APIClient) -> None:
    for verification_id in ["00000000-0000-0000-0000-000000000000", "not-a-uuid"]:
        response = api.get(f"/v1/verifications/{verification_id}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "verification_not_found"


def test_client_secret_is_scoped_to_its_verification(api: APIClient) -> None:
    mine, theirs = create(api, "user-1"), create(api, "user-2")
    client = client_with(mine["client_secret"])
    assert client.get(f"/v1/verifications/{mine['id']}").status_code == 200
    assert upload(client, mine["id"], "selfie", jpeg()).status_code == 201
    assert client.get(f"/v1/verifications/{theirs['id']}").status_code == 404
    assert upload(client, theirs["id"], "selfie", jpeg()).status_code == 404
    # A client secret cannot list, create or cancel: those are the tenant server's.
    assert client.get("/v1/verifications").status_code == 403
    response = client.post("/v1/verifications", {"subject": "x", "type": "document"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.post(f"/v1/verifications/{mine['id']}/cancel").status_code == 403


def test_expired_client_secret_is_refused(api: APIClient) -> None:
    body = create(api)
    Verification.objects.filter(pk=body["id"]).update(
        client_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client_with(body["client_secret"]).get(f"/v1/verifications/{body['id']}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "client_secret_expired"


def test_submit_without_files_is_refused_with_the_missing_kinds(api: APIClient) -> None:
    body = create(api)
    upload(api, body["id"], "selfie", jpeg())
    response = api.post(f"/v1/verifications/{body['id']}/submit")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "missing_files"
    assert error["details"]["missing"] == ["id_front"]


def test_submit_moves_to_processing_and_illegal_transitions_answer_409(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    body = create(api)
    upload(api, body["id"], "id_front", jpeg(seed=1))
    upload(api, body["id"], "selfie", jpeg(seed=2))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(f"/v1/verifications/{body['id']}/submit")
    assert response.status_code == 202
    assert response.json()["status"] == "processing"
    assert response.json()["submitted_at"] is not None
    # Exactly one processing run queued, after commit (beside the webhook fan-out's kick).
    assert len([c for c in callbacks if c is not webhooks_kick]) == 1

    again = api.post(f"/v1/verifications/{body['id']}/submit")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state_transition"
    late_upload = upload(api, body["id"], "selfie", jpeg())
    assert late_upload.status_code == 409
    cancel = api.post(f"/v1/verifications/{body['id']}/cancel")
    assert cancel.status_code == 409


def test_cancel_is_final(api: APIClient) -> None:
    body = create(api)
    response = api.post(f"/v1/verifications/{body['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert response.json()["decided_at"] is not None
    assert api.post(f"/v1/verifications/{body['id']}/cancel").status_code == 409
    assert api.post(f"/v1/verifications/{body['id']}/submit").status_code == 409
    assert upload(api, body["id"], "selfie", jpeg()).status_code == 409


def test_reupload_replaces_the_document_of_that_kind(
    api: APIClient, s3: Any, document_bucket: str, django_capture_on_commit_callbacks: Any
) -> None:
    body = create(api)
    first = upload(api, body["id"], "selfie", jpeg(seed=1)).json()
    old_key = Document.objects.get(verification_id=body["id"]).storage_key
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(api, body["id"], "selfie", jpeg(seed=2)).json()
    assert first["sha256"] != second["sha256"]
    documents = Document.objects.filter(verification_id=body["id"])
    assert documents.count() == 1
    keys = {obj["Key"] for obj in s3.list_objects_v2(Bucket=document_bucket).get("Contents", [])}
    assert old_key not in keys
    assert documents.get().storage_key in keys


def test_list_is_paginated_and_filterable(api: APIClient) -> None:
    ids = [create(api, f"user-{n}")["id"] for n in range(5)]
    api.post(f"/v1/verifications/{ids[0]}/cancel")
    page = api.get("/v1/verifications", {"limit": 2}).json()
    assert len(page["results"]) == 2
    assert page["results"][0]["id"] == ids[-1]  # newest first
    second = api.get(page["next"]).json()
    assert [v["id"] for v in second["results"]] == [ids[2], ids[1]]
    canceled = api.get("/v1/verifications", {"status": "canceled"}).json()["results"]
    assert [v["id"] for v in canceled] == [ids[0]]
    by_subject = api.get("/v1/verifications", {"subject": "user-3"}).json()["results"]
    assert [v["id"] for v in by_subject] == [ids[3]]
    bad = api.get("/v1/verifications", {"status": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"


def test_final_status_is_unchanged_by_a_repeated_cancel(api: APIClient) -> None:
    body = create(api)
    api.post(f"/v1/verifications/{body['id']}/cancel")
    api.post(f"/v1/verifications/{body['id']}/cancel")
    assert Verification.objects.get(pk=body["id"]).status == Status.CANCELED
