"""/v1/webhook-endpoints: CRUD, SSRF refusal, rotation, the delivery log and manual resend."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient
from tasdeeq_client import webhook_verify

from tests.receiver import webhook_receiver
from verification.models import Tenant, WebhookDelivery, WebhookEndpoint
from verification.services.tenants import api_key_create
from verification.services.verifications import verification_cancel, verification_create
from verification.services.webhooks import webhook_delivery_attempt, webhooks_fanout


def test_endpoints_are_created_listed_updated_and_deleted(api: APIClient, other_api: APIClient) -> None:
    created = api.post(
        "/v1/webhook-endpoints",
        {
            "url": "http://127.0.0.1:9/hooks",
            "enabled_events": ["verification.verified"],
            "description": "shop",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["status"] == "enabled" and body["livemode"] is True
    stored = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"].encode() not in bytes(stored.secret_ciphertext)  # sealed, not stored in clear
    second = api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/b", "enabled_events": ["*"]})
    assert second.status_code == 201
    listed = api.get("/v1/webhook-endpoints").json()["results"]
    assert [e["id"] for e in listed] == [body["id"], second.json()["id"]]
    assert all("secret" not in e for e in listed)
    # Another tenant sees none of them.
    assert other_api.get("/v1/webhook-endpoints").json()["results"] == []
    assert other_api.get(f"/v1/webhook-endpoints/{body['id']}").json()["error"]["code"] == (
        "webhook_endpoint_not_found"
    )
    patched = api.patch(
        f"/v1/webhook-endpoints/{body['id']}",
        {"enabled_events": ["verification.rejected", "verification.verified"], "status": "disabled"},
    )
    assert patched.status_code == 200
    assert patched.json()["enabled_events"] == ["verification.rejected", "verification.verified"]
    assert patched.json()["status"] == "disabled"
    assert api.delete(f"/v1/webhook-endpoints/{body['id']}").status_code == 204
    assert api.get(f"/v1/webhook-endpoints/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://192.168.1.1/hooks",
        "ftp://example.org/hooks",
    ],
)
def test_private_and_link_local_destinations_are_refused_at_creation(api: APIClient, url: str) -> None:
    response = api.post("/v1/webhook-endpoints", {"url": url, "enabled_events": ["*"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"webhook_url_not_allowed", "validation_error"}
    assert not WebhookEndpoint.objects.exists()


@override_settings(OUTBOUND_ALLOWED_NETWORKS=[])
def test_loopback_is_refused_unless_the_setting_allows_it(api: APIClient) -> None:
    response = api.post(
        "/v1/webhook-endpoints", {"url": "http://127.0.0.1:8080/hooks", "enabled_events": ["*"]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_url_not_allowed"


def test_unknown_event_types_are_refused(api: APIClient) -> None:
    response = api.post(
        "/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/h", "enabled_events": ["user.created"]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_client_secrets_cannot_manage_endpoints(api: APIClient) -> None:
    secret = api.post("/v1/verifications", {"subject": "s-1", "type": "document"}).json()["client_secret"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/v1/webhook-endpoints").status_code == 403


def test_rotate_secret_returns_a_new_secret_and_the_overlap(api: APIClient) -> None:
    body = api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/h", "enabled_events": ["*"]}).json()
    rotated = api.post(f"/v1/webhook-endpoints/{body['id']}/rotate-secret", {"overlap_seconds": 600})
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None


def test_resend_delivers_the_same_event_again(api: APIClient, tenant: Tenant) -> None:
    with webhook_receiver() as receiver:
        body = api.post("/v1/webhook-endpoints", {"url": receiver.url, "enabled_events": ["*"]}).json()
        verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")
        verification_cancel(verification=verification)
        (first,) = webhooks_fanout()
        webhook_delivery_attempt(delivery_id=first)
        resent = api.post(f"/v1/webhook-endpoints/{body['id']}/deliveries/{first}/resend")
        assert resent.status_code == 202
        assert resent.json()["resent_from"] == first
        webhook_delivery_attempt(delivery_id=resent.json()["id"])
        one, two = receiver.requests
    # A duplicate is recognisable: the same event id in both, each with a valid signature.
    assert webhook_verify(one.body, one.headers["Tasdeeq-Signature"], body["secret"]).id == (
        webhook_verify(two.body, two.headers["Tasdeeq-Signature"], body["secret"]).id
    )
    assert one.headers["Tasdeeq-Delivery-Id"] != two.headers["Tasdeeq-Delivery-Id"]
    log = api.get(f"/v1/webhook-endpoints/{body['id']}/deliveries").json()["results"]
    assert {d["status"] for d in log} == {"succeeded"} and len(log) == 2
    assert all(d["attempt_log"][0]["status_code"] == 200 for d in log)
    missing = api.post(f"/v1/webhook-endpoints/{body['id']}/deliveries/{body['id']}/resend")
    assert missing.json()["error"]["code"] == "webhook_delivery_not_found"


def test_test_mode_endpoints_are_separate_from_live_ones(api: APIClient, tenant: Tenant) -> None:
    _, test_key = api_key_create(tenant=tenant, livemode=False)
    test_api = APIClient()
    test_api.credentials(HTTP_AUTHORIZATION=f"Bearer {test_key}")
    live = api.post(
        "/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/live", "enabled_events": ["*"]}
    ).json()
    test = test_api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/test", "enabled_events": ["*"]})
    assert test.json()["livemode"] is False
    assert [e["id"] for e in test_api.get("/v1/webhook-endpoints").json()["results"]] == [test.json()["id"]]
    assert test_api.get(f"/v1/webhook-endpoints/{live['id']}").status_code == 404
    assert WebhookDelivery.objects.count() == 0


def test_metrics_report_the_webhook_backlog(api: APIClient, tenant: Tenant, client: Any) -> None:
    api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/h", "enabled_events": ["*"]})
    verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")
    verification_cancel(verification=verification)
    before = client.get("/metrics").content.decode()
    assert "tasdeeq_webhook_outbox_pending 1.0" in before
    webhooks_fanout()
    after = client.get("/metrics").content.decode()
    assert 'tasdeeq_webhook_deliveries{status="pending"} 1.0' in after
    assert "tasdeeq_webhook_outbox_pending 0.0" in after


def test_another_tenant_reaches_no_endpoint_delivery_or_resend(
    api: APIClient, other_api: APIClient, tenant: Tenant
) -> None:
    """Every endpoint route, with the ids of another tenant: 404, and nothing changes or is sent."""
    mine = api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/a", "enabled_events": ["*"]}).json()
    theirs = other_api.post(
        "/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/b", "enabled_events": ["*"]}
    ).json()
    verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")
    verification_cancel(verification=verification)
    (delivery,) = webhooks_fanout()
    base = f"/v1/webhook-endpoints/{mine['id']}"
    answers = [
        other_api.get(base),
        other_api.patch(base, {"url": "http://127.0.0.1:9/stolen"}, format="json"),
        other_api.post(f"{base}/rotate-secret"),
        other_api.get(f"{base}/deliveries"),
        other_api.post(f"{base}/deliveries/{delivery}/resend"),
        # Their own endpoint with my delivery's id: the delivery is looked up under the endpoint.
        other_api.post(f"/v1/webhook-endpoints/{theirs['id']}/deliveries/{delivery}/resend"),
        other_api.delete(base),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert WebhookDelivery.objects.count() == 1
    assert api.get(base).json()["url"] == "http://127.0.0.1:9/a"
