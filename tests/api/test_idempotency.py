"""Idempotency-Key on POST: replays, a reused key with another body, a key in use, expiry."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from typing import Any

import requests
from django.test.client import encode_multipart
from django.utils import timezone
from rest_framework.test import APIClient

from tests.images import jpeg
from verification.models import IdempotencyRecord, Tenant, Verification
from verification.services.idempotency import idempotency_begin
from verification.services.tenants import api_key_create


def test_the_same_key_and_body_replay_the_first_answer(api: APIClient, tenant: Tenant) -> None:
    body = {"subject": "seller-1", "type": "document"}
    first = api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(
        "/v1/verifications", {"type": "document", "subject": "seller-1"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the client secret too: the first answer, not a new one
    assert again["Idempotent-Replayed"] == "true"
    assert Verification.objects.filter(tenant=tenant).count() == 1
    # Without a key, or with another key, a POST acts again.
    assert api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="k-2").json()["id"] != first.json()["id"]
    assert Verification.objects.filter(tenant=tenant).count() == 2


def test_only_hashes_and_a_sealed_answer_are_stored(api: APIClient) -> None:
    created = api.post(
        "/v1/verifications", {"subject": "seller-1", "type": "document"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    record = IdempotencyRecord.objects.get()
    secret = created.json()["client_secret"].encode()
    assert record.body_ciphertext is not None
    stored = bytes(record.body_ciphertext)
    assert secret not in stored
    assert b"seller-1" not in stored
    assert record.key_hash == hashlib.sha256(b"k").hexdigest()
    assert record.expires_at - record.created_at == timedelta(hours=24)


def test_the_same_key_with_another_body_answers_422(api: APIClient) -> None:
    api.post("/v1/verifications", {"subject": "seller-1", "type": "document"}, HTTP_IDEMPOTENCY_KEY="k")
    other = api.post(
        "/v1/verifications", {"subject": "seller-2", "type": "document"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # The same key on another path is another request too.
    assert api.post("/v1/webhook-endpoints", {}, HTTP_IDEMPOTENCY_KEY="k").status_code == 422


def test_keys_are_per_caller(api: APIClient, other_api: APIClient) -> None:
    body = {"subject": "seller-1", "type": "document"}
    mine = api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="shared")
    theirs = other_api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]


def test_a_key_still_in_use_answers_409(api: APIClient, tenant_with_key: tuple[Tenant, str]) -> None:
    scope = hashlib.sha256(tenant_with_key[1].encode()).hexdigest()  # the key's token_hash
    idempotency_begin(scope=scope, key="busy", request_hash="whatever")
    response = api.post(
        "/v1/verifications", {"subject": "s", "type": "document"}, HTTP_IDEMPOTENCY_KEY="busy"
    )
    # Different hash from the running one: reused wins over in-use (it can never succeed).
    assert response.status_code == 422
    record = IdempotencyRecord.objects.get(key_hash=hashlib.sha256(b"busy").hexdigest())
    record.request_hash = _fingerprint_of_create(api)
    record.save()
    response = api.post(
        "/v1/verifications", {"subject": "s", "type": "document"}, HTTP_IDEMPOTENCY_KEY="busy"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    # A first request that died (its lock ran out) does not hold the key forever.
    IdempotencyRecord.objects.filter(pk=record.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    response = api.post(
        "/v1/verifications", {"subject": "s", "type": "document"}, HTTP_IDEMPOTENCY_KEY="busy"
    )
    assert response.status_code == 201


def _fingerprint_of_create(api: APIClient) -> str:
    """What the middleware computes for the create below (same path, canonical JSON body)."""
    body = b'{"subject":"s","type":"document"}'
    digest = hashlib.sha256(b"POST /v1/verifications\n")
    digest.update(body)
    return digest.hexdigest()


def test_an_expired_key_acts_anew(api: APIClient) -> None:
    body = {"subject": "seller-1", "type": "document"}
    first = api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


def test_an_upload_retried_with_another_multipart_boundary_replays(api: APIClient) -> None:
    created = api.post("/v1/verifications", {"subject": "seller-1", "type": "document"}).json()
    path = f"/v1/verifications/{created['id']}/files"
    image = jpeg(seed=3)
    answers: list[Any] = []
    for boundary in ("boundary-one", "boundary-two"):
        payload = encode_multipart(boundary, {"kind": "selfie", "file": _named(image)})
        answers.append(
            api.generic(
                "POST",
                path,
                payload,  # type: ignore[arg-type]
                content_type=f"multipart/form-data; boundary={boundary}",
                HTTP_IDEMPOTENCY_KEY="upload-1",
            )
        )
    assert answers[0].status_code == answers[1].status_code == 201
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert answers[0].json() == answers[1].json()


def _named(data: bytes) -> Any:
    import io

    handle = io.BytesIO(data)
    handle.name = "selfie.jpg"
    return handle


def test_a_refused_request_is_not_kept_when_a_retry_can_succeed(api: APIClient) -> None:
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer tdq_live_not-a-key")
    assert (
        bad.post(
            "/v1/verifications", {"subject": "s", "type": "document"}, HTTP_IDEMPOTENCY_KEY="x"
        ).status_code
        == 401
    )
    assert not IdempotencyRecord.objects.exists()


def test_an_invalid_key_is_refused(api: APIClient) -> None:
    response = api.post(
        "/v1/verifications", {"subject": "s", "type": "document"}, HTTP_IDEMPOTENCY_KEY="x" * 300
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"


def test_concurrent_duplicates_create_one_verification(
    live_server: Any, tenant_with_key: tuple[Tenant, str]
) -> None:
    tenant, key = tenant_with_key
    barrier = threading.Barrier(4)
    answers: list[requests.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(
            requests.post(
                f"{live_server.url}/v1/verifications",
                json={"subject": "seller-1", "type": "document"},
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "race"},
                timeout=30,
            )
        )

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Verification.objects.filter(tenant=tenant).count() == 1
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409} and 201 in statuses
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_key_in_use"


def test_a_revoked_key_gets_no_replay(api: APIClient, tenant_with_key: tuple[Tenant, str]) -> None:
    """The kept answer holds a client secret: once the key is revoked it is not handed out again."""
    from verification.models import ApiKey
    from verification.services.tenants import api_key_revoke

    body = {"subject": "seller-1", "type": "document"}
    assert api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="before-revoke").status_code == 201
    tenant, key = tenant_with_key
    api_key_revoke(api_key=ApiKey.objects.get(tenant=tenant, revoked_at__isnull=True))
    assert not IdempotencyRecord.objects.exists()
    again = api.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="before-revoke")
    assert again.status_code == 401, again.content
    assert "client_secret" not in again.json()
    # The same key spelled with another "Bearer" case or spacing is the same caller.
    other = APIClient()
    _, fresh = api_key_create(tenant=tenant)
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh}")
    first = other.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="spelling")
    other.credentials(HTTP_AUTHORIZATION=f"bearer   {fresh}")
    replayed = other.post("/v1/verifications", body, HTTP_IDEMPOTENCY_KEY="spelling")
    assert replayed["Idempotent-Replayed"] == "true" and replayed.json()["id"] == first.json()["id"]
