"""Webhooks end to end: the real worker fans out the outbox and delivers to a loopback receiver;
the outbox outlives a broker outage; the worked example runs against the live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tasdeeq_client import Tasdeeq, receipt_verify, webhook_verify

from config.celery import app as celery_app
from examples.seller_onboarding import demo
from tests.conftest import database_url
from tests.images import jpeg
from tests.receiver import webhook_receiver
from tests.workers.process import REPO
from verification.models import Event, EventFanout, WebhookDelivery
from verification.services.tenants import api_key_create, tenant_create
from verification.services.verifications import verification_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nobody listens there


# The web side of the outage, in a process of its own: its broker URL points at a closed port, so
# nothing it publishes can arrive (the machine's Redis keeps running for the worker and for others).
_CANCEL_WITH_BROKER_DOWN = """
import django, sys
django.setup()
from verification.models import Verification
from verification.services.verifications import verification_cancel
verification_cancel(verification=Verification.objects.get(pk=sys.argv[1]))
print("committed")
"""


def _cancel_with_broker_down(verification_id: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{_closed_port()}/0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(tmp_path),
    }
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", _CANCEL_WITH_BROKER_DOWN, verification_id],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


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
    claims = receipt_verify(client.verifications.receipt(created.id), client.jwks(), allow_test=True)
    assert claims.outcome == "verified" and claims.verification_id == created.id
    deliveries = client.webhook_endpoints.deliveries(endpoint.id)
    assert {d.status for d in deliveries} == {"succeeded"}
    assert all(d.attempt_log[0].status_code == 200 for d in deliveries)


def test_the_outbox_survives_a_broker_outage(
    live_server: Any, celery_worker_process: Path, tmp_path: Path
) -> None:
    tenant, key = tenant_create(slug="outage-market")
    client = Tasdeeq(key, live_server.url)
    with webhook_receiver() as receiver:
        endpoint = client.webhook_endpoints.create(url=receiver.url, enabled_events=["verification.canceled"])
        verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")
        # The change commits although its kick cannot be queued: the caller sees no error.
        done = _cancel_with_broker_down(str(verification.id), tmp_path)
        assert done.returncode == 0, done.stderr
        assert "committed" in done.stdout
        assert "could not queue fan-out" in done.stderr
        event = Event.objects.get(verification=verification, type="verification.canceled")
        time.sleep(2)  # had anything reached the worker, it would have fanned out by now
        assert not EventFanout.objects.filter(event=event).exists()
        assert not WebhookDelivery.objects.exists()
        assert receiver.requests == []
        # The periodic fan-out (what beat sends every 30 s) drains the outbox once a broker answers.
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
