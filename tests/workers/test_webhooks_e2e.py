"""Webhooks end to end: the real worker fans out the outbox and delivers to a loopback receiver;
the outbox outlives a broker outage; the worked example runs against the live server."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tasdeeq_client import Tasdeeq, receipt_verify, webhook_verify

from config.celery import app as celery_app
from examples.seller_onboarding import demo
from tests.images import jpeg
from tests.receiver import webhook_receiver
from verification.models import Event, EventFanout, WebhookDelivery
from verification.services.tenants import api_key_create, tenant_create
from verification.services.verifications import verification_cancel, verification_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nobody listens there


def _reset_publisher() -> None:
    # Forget the cached connection and producer pools so the next publish uses the current URL
    # (the old pools stay open in kombu's registry and are found again once the URL is restored).
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """The web process's task queue is down (its broker URL points at a closed port); the machine's
    Redis keeps running for the worker and for everyone else."""
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    saved = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    _reset_publisher()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = saved
        _reset_publisher()


def test_a_decision_reaches_the_receiver_signed_and_in_order(
    live_server: Any, celery_worker_process: Path
) -> None:
    tenant, _ = tenant_create(slug="hooks-market")
    _, key = api_key_create(tenant=tenant, livemode=False)
    client = Tasdeeq(key, live_server.url)
    with webhook_receiver() as receiver:
        endpoint = client.webhook_endpoints.create(url=receiver.url, enabled_events=["*"])
        assert endpoint.secret
        created = client.verifications.create(subject="seller-1", test_outcome="verified")
        assert created.client_secret
        for kind, seed in (("id_front", 1), ("selfie", 2)):
            client.verifications.upload(
                created.id, kind=kind, content=jpeg(seed=seed), client_secret=created.client_secret
            )
        client.verifications.submit(created.id, client_secret=created.client_secret)
        received = receiver.wait_for(2, timeout=60)
    events = sorted(
        (webhook_verify(r.body, r.headers["Tasdeeq-Signature"], endpoint.secret) for r in received),
        key=lambda e: e.sequence,
    )
    assert [(e.type, e.sequence) for e in events] == [
        ("verification.processing", 1),
        ("verification.verified", 2),
    ]
    assert all(e.livemode is False and e.verification.id == created.id for e in events)
    assert len({e.id for e in events}) == 2
    claims = receipt_verify(client.verifications.receipt(created.id), client.jwks())
    assert claims.outcome == "verified" and claims.verification_id == created.id
    deliveries = client.webhook_endpoints.deliveries(endpoint.id)
    assert {d.status for d in deliveries} == {"succeeded"}
    assert all(d.attempt_log[0].status_code == 200 for d in deliveries)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_the_outbox_survives_a_broker_outage(live_server: Any, celery_worker_process: Path) -> None:
    tenant, key = tenant_create(slug="outage-market")
    client = Tasdeeq(key, live_server.url)
    with webhook_receiver() as receiver:
        endpoint = client.webhook_endpoints.create(url=receiver.url, enabled_events=["verification.canceled"])
        verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")
        # A handler on the module's logger itself, enabled: another test may have reconfigured
        # logging (dictConfig disables loggers it does not name).
        logger = logging.getLogger("verification.services.webhooks")
        records, was_disabled = _Records(), logger.disabled
        logger.addHandler(records)
        logger.disabled = False
        try:
            with broker_unreachable():
                with pytest.raises(Exception):  # noqa: B017, PT011 - kombu's error classes vary
                    celery_app.send_task("webhooks.fanout")  # the publisher really cannot reach it
                # The change commits although its kick cannot be queued: the caller sees no error.
                verification_cancel(verification=verification)
        finally:
            logger.removeHandler(records)
            logger.disabled = was_disabled
        assert any("could not queue fan-out" in m for m in records.messages), records.messages
        event = Event.objects.get(verification=verification, type="verification.canceled")
        time.sleep(2)  # had the kick reached the worker, it would have fanned out by now
        assert not EventFanout.objects.filter(event=event).exists()
        assert not WebhookDelivery.objects.exists()
        # The broker is back; the periodic fan-out (what beat sends every 30 s) drains the outbox.
        celery_app.send_task("webhooks.fanout")
        (received,) = receiver.wait_for(1, timeout=60)
    assert endpoint.secret
    delivered = webhook_verify(received.body, received.headers["Tasdeeq-Signature"], endpoint.secret)
    assert delivered.id == str(event.id) and delivered.type == "verification.canceled"


def test_the_seller_onboarding_example_runs(live_server: Any, celery_worker_process: Path) -> None:
    tenant, _ = tenant_create(slug="example-market")
    _, key = api_key_create(tenant=tenant, livemode=False)
    summary = demo(base_url=live_server.url, api_key=key, front=jpeg(seed=1), selfie=jpeg(seed=2))
    assert summary["webhook_outcome"] == summary["receipt_outcome"] == "verified"
    assert summary["capture_url"].startswith(f"{live_server.url}/v/vcs_")
    assert summary["events_seen"] == 1  # only the final events were subscribed to
