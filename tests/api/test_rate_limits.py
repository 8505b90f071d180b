"""Rate limits per API key and per client secret: 429 `rate_limited` with Retry-After (Redis cache)."""

from __future__ import annotations

from django.test import override_settings
from rest_framework.test import APIClient

from verification.models import IdempotencyRecord, Tenant
from verification.services.tenants import api_key_create


@override_settings(RATE_LIMIT_API_KEY="3/m")
def test_an_api_key_over_its_limit_gets_429_with_retry_after(api: APIClient, tenant: Tenant) -> None:
    for _ in range(3):
        assert api.get("/v1/verifications").status_code == 200
    limited = api.get("/v1/verifications")
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert error["details"]["retry_after"] == int(limited["Retry-After"])
    # The limit is per key: another key of the same tenant still works.
    _, key = api_key_create(tenant=tenant)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert other.get("/v1/verifications").status_code == 200
    # A throttled POST with an Idempotency-Key is not remembered: the retry may succeed later.
    assert (
        api.post(
            "/v1/verifications", {"subject": "s", "type": "document"}, HTTP_IDEMPOTENCY_KEY="t"
        ).status_code
        == 429
    )
    assert not IdempotencyRecord.objects.exists()


@override_settings(RATE_LIMIT_CLIENT_SECRET="2/m", RATE_LIMIT_API_KEY="100/m")
def test_a_client_secret_has_its_own_limit(api: APIClient) -> None:
    created = api.post("/v1/verifications", {"subject": "seller-1", "type": "document"}).json()
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {created['client_secret']}")
    path = f"/v1/verifications/{created['id']}"
    assert phone.get(path).status_code == 200
    assert phone.get(path).status_code == 200
    limited = phone.get(path)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited" and limited["Retry-After"]
    assert api.get(path).status_code == 200  # the tenant's key is counted apart
