"""Webhook delivery against a real loopback receiver, with the clock driven by the test (`now`)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from tasdeeq_client import SignatureVerificationError, webhook_verify

from tests.receiver import webhook_receiver
from verification.models import (
    AuditRecord,
    DeliveryStatus,
    EndpointStatus,
    Event,
    Tenant,
    TenantNotice,
    Verification,
    WebhookDelivery,
    WebhookEndpoint,
)
from verification.services.verifications import verification_cancel, verification_create
from verification.services.webhooks import (
    webhook_deliveries_due,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhooks_fanout,
)

SCHEDULE = [300, 1800, 7200, 18000, 36000, 36000, 36000, 43200, 86400]


def canceled(tenant: Tenant, subject: str = "seller-1", **options: Any) -> Verification:
    verification, _ = verification_create(tenant=tenant, subject=subject, type="document", **options)
    return verification_cancel(verification=verification)


def endpoint(
    tenant: Tenant, url: str, events: list[str] | None = None, livemode: bool = True
) -> tuple[Any, str]:
    return webhook_endpoint_create(
        tenant=tenant, livemode=livemode, url=url, enabled_events=events or ["*"], actor="test"
    )


def test_an_event_is_delivered_signed_and_the_client_package_verifies_it(tenant: Tenant) -> None:
    with webhook_receiver() as receiver:
        hook, secret = endpoint(tenant, receiver.url, ["verification.canceled"])
        verification = canceled(tenant)
        (delivery_id,) = webhooks_fanout()
        assert webhook_delivery_attempt(delivery_id=delivery_id) == DeliveryStatus.SUCCEEDED
        (received,) = receiver.requests
    event = Event.objects.get(verification=verification, type="verification.canceled")
    parsed = webhook_verify(received.body, received.headers["Tasdeeq-Signature"], secret)
    assert parsed.id == str(event.id) == received.headers["Tasdeeq-Event-Id"]
    assert parsed.type == "verification.canceled"
    assert parsed.created == int(event.created_at.timestamp())
    assert parsed.sequence == event.sequence == 1
    assert parsed.verification.id == str(verification.id)
    assert parsed.verification.status == "canceled"
    # The verification without personal data: no verified outputs, no scores, no files.
    assert "verified_outputs" not in received.json["data"]["object"]
    assert "scores" not in json.dumps(received.json)
    # Another secret, or a changed body, does not verify.
    with pytest.raises(SignatureVerificationError) as wrong:
        webhook_verify(received.body, received.headers["Tasdeeq-Signature"], "whsec_other")
    assert wrong.value.code == "signature_mismatch"
    with pytest.raises(SignatureVerificationError):
        webhook_verify(
            received.body.replace(b"canceled", b"verified"), received.headers["Tasdeeq-Signature"], secret
        )
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.attempts == 1 and delivery.endpoint_id == hook.id
    assert delivery.attempt_log.get().status_code == 200


def test_receivers_reject_stale_timestamps(tenant: Tenant) -> None:
    with webhook_receiver() as receiver:
        _, secret = endpoint(tenant, receiver.url)
        canceled(tenant)
        sent_at = timezone.now()
        for delivery_id in webhooks_fanout(now=sent_at):
            webhook_delivery_attempt(delivery_id=delivery_id, now=sent_at)
        (received,) = receiver.requests
    header = received.headers["Tasdeeq-Signature"]
    webhook_verify(received.body, header, secret, now=sent_at.timestamp() + 299)
    with pytest.raises(SignatureVerificationError) as stale:
        webhook_verify(received.body, header, secret, now=sent_at.timestamp() + 301)
    assert stale.value.code == "signature_stale"


def test_the_event_filter_and_the_mode_choose_the_endpoints(tenant: Tenant, other_api: APIClient) -> None:
    with webhook_receiver() as receiver:
        wants_canceled, _ = endpoint(tenant, receiver.url, ["verification.canceled"])
        endpoint(tenant, receiver.url, ["verification.verified"])
        test_mode, _ = endpoint(tenant, receiver.url, ["*"], livemode=False)
        canceled(tenant)
        canceled(tenant, livemode=False)
        deliveries = WebhookDelivery.objects.filter(pk__in=webhooks_fanout())
        assert sorted((d.endpoint_id, d.event.livemode) for d in deliveries) == sorted(
            [(wants_canceled.id, True), (test_mode.id, False)]
        )
        # Fanned out once: a second scan (the periodic task) finds nothing new.
        assert webhooks_fanout() == []


def test_a_rolled_back_change_sends_nothing(tenant: Tenant) -> None:
    with webhook_receiver() as receiver:
        endpoint(tenant, receiver.url)
        verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")

        def failing_request() -> None:
            with transaction.atomic():
                verification_cancel(verification=verification)
                raise RuntimeError("the request failed after the change")

        with pytest.raises(RuntimeError):
            failing_request()
        assert not Event.objects.filter(verification=verification).exists()
        assert webhooks_fanout() == []


def test_failures_retry_with_exponential_backoff_then_the_endpoint_is_disabled(
    tenant: Tenant, api: APIClient
) -> None:
    start = timezone.now()
    with webhook_receiver(default=503) as receiver:
        hook, _ = endpoint(tenant, receiver.url)
        canceled(tenant)
        (delivery_id,) = webhooks_fanout(now=start)
        now = start
        for attempt, base in enumerate(SCHEDULE, start=1):
            assert webhook_delivery_attempt(delivery_id=delivery_id, now=now) == DeliveryStatus.PENDING
            delivery = WebhookDelivery.objects.get(pk=delivery_id)
            assert delivery.attempts == attempt
            assert delivery.next_attempt_at is not None
            wait = (delivery.next_attempt_at - now).total_seconds()
            assert base <= wait <= base * 1.1 + 1, (attempt, wait)
            # Not due before its time: neither an attempt nor the periodic scan touches it.
            assert (
                webhook_delivery_attempt(delivery_id=delivery_id, now=now + timedelta(seconds=base - 1))
                is None
            )
            assert delivery_id not in webhook_deliveries_due(now=now + timedelta(seconds=base - 1))
            now = delivery.next_attempt_at
            assert delivery_id in webhook_deliveries_due(now=now)
        # The last attempt, a little over three days after the first: the schedule is spent and
        # the endpoint, failing all that time, is disabled.
        assert webhook_delivery_attempt(delivery_id=delivery_id, now=now) == DeliveryStatus.FAILED
        assert len(receiver.requests) == len(SCHEDULE) + 1
    assert (now - start) >= timedelta(days=3)
    hook.refresh_from_db()
    assert hook.status == EndpointStatus.DISABLED
    assert "No delivery succeeded" in hook.disabled_reason
    assert TenantNotice.objects.get(tenant=tenant).kind == "webhook_endpoint.disabled"
    assert AuditRecord.objects.filter(action="webhook_endpoint.disabled", target_id=str(hook.id)).exists()
    # What the tenant sees through the API: the notice, the endpoint's state and the delivery log.
    notices = api.get("/v1/notices").json()["results"]
    assert [n["kind"] for n in notices] == ["webhook_endpoint.disabled"]
    assert api.get(f"/v1/webhook-endpoints/{hook.id}").json()["status"] == "disabled"
    (logged,) = api.get(f"/v1/webhook-endpoints/{hook.id}/deliveries").json()["results"]
    assert logged["status"] == "failed" and logged["attempts"] == len(SCHEDULE) + 1
    assert {a["status_code"] for a in logged["attempt_log"]} == {503}
    assert all(a["error"] == "http_503" and a["latency_ms"] >= 0 for a in logged["attempt_log"])


def test_a_success_resets_the_failure_clock(tenant: Tenant) -> None:
    start = timezone.now()
    with webhook_receiver(script=[500, 200]) as receiver:
        hook, _ = endpoint(tenant, receiver.url)
        canceled(tenant)
        (delivery_id,) = webhooks_fanout(now=start)
        webhook_delivery_attempt(delivery_id=delivery_id, now=start)
        hook.refresh_from_db()
        assert hook.failing_since == start
        later = WebhookDelivery.objects.get(pk=delivery_id).next_attempt_at
        assert webhook_delivery_attempt(delivery_id=delivery_id, now=later) == DeliveryStatus.SUCCEEDED
        assert len(receiver.requests) == 2
    hook.refresh_from_db()
    assert hook.failing_since is None and hook.status == EndpointStatus.ENABLED


@override_settings(WEBHOOK_TIMEOUT_SECONDS=1)
def test_a_timeout_is_retried(tenant: Tenant) -> None:
    with webhook_receiver(delay=2.5) as receiver:
        endpoint(tenant, receiver.url)
        canceled(tenant)
        (delivery_id,) = webhooks_fanout()
        assert webhook_delivery_attempt(delivery_id=delivery_id) == DeliveryStatus.PENDING
    attempt = WebhookDelivery.objects.get(pk=delivery_id).attempt_log.get()
    assert attempt.error == "timeout" and attempt.status_code is None


def test_rotation_signs_with_both_secrets_during_the_overlap(tenant: Tenant) -> None:
    start = timezone.now()
    with webhook_receiver() as receiver:
        hook, old = endpoint(tenant, receiver.url)
        hook, new = webhook_endpoint_rotate_secret(
            endpoint=hook, actor="test", overlap_seconds=3600, now=start
        )
        canceled(tenant, "seller-1")
        canceled(tenant, "seller-2")
        first, second = webhooks_fanout(now=start)
        webhook_delivery_attempt(delivery_id=first, now=start + timedelta(minutes=59))
        webhook_delivery_attempt(delivery_id=second, now=start + timedelta(minutes=61))
        during, after = receiver.requests
    assert old != new
    assert during.headers["Tasdeeq-Signature"].count("v1=") == 2
    at = (start + timedelta(minutes=59)).timestamp()
    webhook_verify(during.body, during.headers["Tasdeeq-Signature"], old, now=at)
    webhook_verify(during.body, during.headers["Tasdeeq-Signature"], new, now=at)
    assert after.headers["Tasdeeq-Signature"].count("v1=") == 1
    at = (start + timedelta(minutes=61)).timestamp()
    webhook_verify(after.body, after.headers["Tasdeeq-Signature"], new, now=at)
    with pytest.raises(SignatureVerificationError):
        webhook_verify(after.body, after.headers["Tasdeeq-Signature"], old, now=at)


def test_a_destination_refused_at_send_time_fails_the_delivery(tenant: Tenant) -> None:
    with webhook_receiver() as receiver:
        endpoint(tenant, receiver.url)
        canceled(tenant)
        (delivery_id,) = webhooks_fanout()
        with override_settings(OUTBOUND_ALLOWED_NETWORKS=[]):  # loopback is no longer allowed
            assert webhook_delivery_attempt(delivery_id=delivery_id) == DeliveryStatus.FAILED
        assert receiver.requests == []
    assert WebhookDelivery.objects.get(pk=delivery_id).attempt_log.get().error == "destination_not_allowed"


def test_events_of_one_verification_carry_increasing_sequence_numbers(tenant: Tenant) -> None:
    from verification.services.redaction import verification_redact

    verification = canceled(tenant)
    verification_redact(verification=verification, actor="test")
    events = list(Event.objects.filter(verification=verification).order_by("created_at", "sequence"))
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert [e.type for e in events][0] == "verification.canceled"
    assert WebhookEndpoint.objects.count() == 0  # no endpoint, no delivery: events still wait in the outbox


def test_the_documented_receiver_snippet_verifies_a_real_signature() -> None:
    import time
    from pathlib import Path

    from verification.webhook_signing import signature_header

    doc = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text()
    snippet = doc.split("Without the client package:", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "docs/integration.md", "exec"), namespace)
    body = b'{"id":"evt"}'
    header = signature_header(["whsec_old", "whsec_new"], body, int(time.time()))
    assert namespace["verify"](body, header, "whsec_new")
    assert namespace["verify"](body, header, "whsec_old")
    assert not namespace["verify"](body + b" ", header, "whsec_new")
    assert not namespace["verify"](
        body, signature_header(["whsec_new"], body, int(time.time()) - 600), "whsec_new"
    )


def test_beat_schedules_the_fan_out_the_retries_and_the_idempotency_purge() -> None:
    from django.conf import settings

    from config.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"webhooks.fanout", "webhooks.deliver_due", "idempotency.purge"} <= scheduled
    assert "verification.expire_phone_challenges" in scheduled  # the other modules' entries stay
    app.loader.import_default_modules()
    assert {"webhooks.fanout", "webhooks.deliver", "webhooks.deliver_due", "idempotency.purge"} <= set(
        app.tasks
    )
