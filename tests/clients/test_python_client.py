"""tasdeeq-client: its dataclasses follow the OpenAPI schema, it stands alone, and it talks to the
real API over HTTP (the end-to-end flow with webhooks is in tests/workers/test_webhooks_e2e.py)."""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest
from tasdeeq_client import (
    File,
    RateLimited,
    Tasdeeq,
    TasdeeqError,
    Verification,
    WebhookDelivery,
    WebhookEndpoint,
)

from verification.models import Tenant
from verification.services.tenants import api_key_create

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "python" / "tasdeeq_client"


def _schema(client: Any) -> dict[str, Any]:
    response = client.get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return dict(response.json()["components"]["schemas"])


@pytest.mark.parametrize(
    ("model", "component"),
    [
        (Verification, "VerificationCreated"),
        (File, "File"),
        (WebhookEndpoint, "WebhookEndpointWithSecret"),
        (WebhookDelivery, "WebhookDelivery"),
    ],
)
def test_the_dataclasses_cover_the_schema(client: Any, model: type, component: str) -> None:
    properties = set(_schema(client)[component]["properties"])
    fields = {f.name for f in dataclasses.fields(model)}
    assert fields == properties, fields ^ properties


def test_the_package_does_not_import_the_server() -> None:
    server = {"django", "rest_framework", "verification", "api", "config", "kyc", "workers", "celery"}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {n.split(".")[0] for n in names} & server, (path.name, names)


@pytest.mark.django_db(transaction=True)
def test_the_client_creates_retrieves_and_reports_errors(live_server: Any, tenant: Tenant) -> None:
    _, key = api_key_create(tenant=tenant, livemode=False)
    client = Tasdeeq(key, live_server.url)
    assert client.livemode is False
    created = client.verifications.create(subject="seller-1", idempotency_key="create-seller-1")
    again = client.verifications.create(subject="seller-1", idempotency_key="create-seller-1")
    assert again.id == created.id and again.client_secret == created.client_secret  # replayed
    fetched = client.verifications.retrieve(created.id)
    assert fetched.status == "requires_input" and fetched.livemode is False
    with pytest.raises(TasdeeqError) as missing:
        client.verifications.retrieve("00000000-0000-0000-0000-000000000000")
    assert missing.value.status == 404 and missing.value.code == "verification_not_found"
    with pytest.raises(TasdeeqError) as reused:
        client.verifications.create(subject="seller-2", idempotency_key="create-seller-1")
    assert reused.value.status == 422 and reused.value.code == "idempotency_key_reused"
    endpoint = client.webhook_endpoints.create(url="http://127.0.0.1:9/hooks", enabled_events=["*"])
    assert endpoint.secret and endpoint.livemode is False
    assert [e.id for e in client.webhook_endpoints.list()] == [endpoint.id]
    rotated = client.webhook_endpoints.rotate_secret(endpoint.id, overlap_seconds=60)
    assert rotated.secret != endpoint.secret and rotated.previous_secret_expires_at is not None
    assert client.webhook_endpoints.deliveries(endpoint.id) == []
    client.webhook_endpoints.delete(endpoint.id)
    assert client.webhook_endpoints.list() == []


@pytest.mark.django_db(transaction=True)
def test_the_client_surfaces_rate_limits(live_server: Any, tenant: Tenant, settings: Any) -> None:
    settings.RATE_LIMIT_API_KEY = "1/m"
    _, key = api_key_create(tenant=tenant)
    client = Tasdeeq(key, live_server.url, max_retries=0)
    client.verifications.create(subject="seller-1")
    with pytest.raises(RateLimited) as limited:
        client.verifications.create(subject="seller-2")
    assert limited.value.code == "rate_limited" and limited.value.retry_after > 0


@pytest.mark.parametrize(
    ("model", "component"),
    [
        (Verification, "VerificationCreated"),
        (File, "File"),
        (WebhookEndpoint, "WebhookEndpointWithSecret"),
        (WebhookDelivery, "WebhookDelivery"),
    ],
)
def test_a_field_the_client_requires_is_always_there_in_the_schema(
    client: Any, model: type, component: str
) -> None:
    """The names alone are not enough: a field typed without `None` must be required and not
    nullable in the schema, or the client would break on an answer the schema allows."""
    schema = _schema(client)[component]
    required = set(schema.get("required", []))
    hints = typing.get_type_hints(model)
    for name, hint in hints.items():
        if type(None) in typing.get_args(hint):
            continue  # the client copes with null or absent
        prop = schema["properties"][name]
        assert name in required, (component, name, "not required in the schema")
        assert not prop.get("nullable"), (component, name, "nullable in the schema")
        assert "null" not in (prop.get("type") or []), (component, name, "nullable in the schema")
