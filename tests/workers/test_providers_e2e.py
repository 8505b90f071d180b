"""Adapters end to end: a real worker process, real HTTP to the AWS stand-in and moto, real Redis.

The worker is killed (SIGKILL of the pool process running the task) in the middle of a provider
call; the task comes back (acks_late + reject_on_worker_lost), completed calls are not made again
and the verification is decided once.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from kyc.adapters.base import ProviderError
from tests.aws_standin import Fault, StandIn
from tests.providers.helpers import PERSON, passport, selfie, spec, textract_fields
from tests.providers.test_resilience import detect
from tests.workers.test_e2e import Client, wait_for_decision
from verification.models import Event, PhoneChallenge, ProviderCall, ProviderCircuit
from verification.services.tenants import tenant_create, tenant_set_policy

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _submit(server: Client, live_url: str) -> str:
    created = server.post("/v1/verifications", json={"subject": "seller-1", "type": "document"}).json()
    phone = Client(live_url, created["client_secret"])
    for kind, data in [("id_front", passport()), ("selfie", selfie())]:
        response = phone.post(
            f"/v1/verifications/{created['id']}/files", data={"kind": kind}, files={"file": data}
        )
        assert response.status_code == 201, response.text
    assert phone.post(f"/v1/verifications/{created['id']}/submit").status_code == 202
    return str(created["id"])


def _worker_pool_children() -> list[int]:
    """Pids of this session's worker pool processes (children of the worker's main process)."""
    marker = f"test-{os.getpid()}@".encode()
    workers: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "cmdline").read_bytes():
                continue
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        workers[int(entry.name)] = ppid
    return [pid for pid, ppid in workers.items() if ppid in workers]


def _events(verification_id: str) -> list[str]:
    return list(
        Event.objects.filter(verification_id=verification_id)
        .order_by("created_at")
        .values_list("type", flat=True)
    )


def test_worker_killed_mid_call_leaves_one_consistent_decision(
    live_server: Any, celery_worker_process: Path, providers_on: StandIn
) -> None:
    aws_standin = providers_on  # (this process sets the policy: the providers must be enabled here too)
    tenant, key = tenant_create(slug="kill-market", min_age=18)
    tenant_set_policy(
        tenant=tenant,
        policy={"providers": {"aws_rekognition": "required", "aws_textract": "required"}},
        min_age=18,
    )
    aws_standin.id_fields = textract_fields()
    release = threading.Event()
    aws_standin.inject("AnalyzeID", Fault(hold=release))
    server = Client(live_server.url, key)
    verification_id = _submit(server, live_server.url)

    aws_standin.wait_for("AnalyzeID", 1)  # Rekognition is done; Textract is in flight
    children = _worker_pool_children()
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)
    release.set()

    decided = wait_for_decision(server, verification_id, timeout=120)
    assert decided["status"] == "verified", decided
    names = {check["name"] for check in decided["checks"]}
    assert {
        "provider_selfie_face",
        "provider_face_match",
        "provider_document",
        "face_match",
        "document",
    } <= names
    # The calls that had completed were not made again; only the cut-off one was.
    assert aws_standin.requests["DetectFaces"] == 1
    assert aws_standin.requests["CompareFaces"] == 1
    assert aws_standin.requests["AnalyzeID"] == 2
    calls = sorted(
        ProviderCall.objects.filter(verification_id=verification_id).values_list("operation", "outcome")
    )
    assert calls == [
        ("analyze_id", "interrupted"),
        ("analyze_id", "success"),
        ("compare_faces", "success"),
        ("detect_faces", "success"),
    ]
    # Decided once: one processing event, one decision, nothing recorded twice.
    assert _events(verification_id) == ["verification.processing", "verification.verified"]
    assert _worker_pool_children() != children  # a new pool process took the redelivered task
    for row in ProviderCall.objects.filter(verification_id=verification_id):
        assert PERSON.document_number not in str(row.result)
        assert PERSON.surname not in str(row.result)


def test_an_open_circuit_hands_the_case_to_review_without_calling(
    live_server: Any, celery_worker_process: Path, providers_on: StandIn
) -> None:
    aws_standin = providers_on
    tenant, key = tenant_create(slug="circuit-market", min_age=18)
    tenant_set_policy(tenant=tenant, policy={"providers": {"aws_rekognition": "required"}}, min_age=18)
    # A 5xx burst seen by this process opens the circuit; the worker, another process, sees it.
    aws_standin.inject("DetectFaces", *[Fault.server_error()] * 10)
    for _ in range(2):
        with pytest.raises(ProviderError):
            detect(spec())
    sent_before = aws_standin.requests["DetectFaces"]
    assert ProviderCircuit.objects.get(pk="aws_rekognition").state == "open"

    server = Client(live_server.url, key)
    verification_id = _submit(server, live_server.url)
    decided = wait_for_decision(server, verification_id, timeout=120)
    assert decided["status"] == "needs_review"
    provider = next(c for c in decided["checks"] if c["name"] == "provider_face_match")
    assert provider["reasons"] == ["provider_unavailable"]
    assert aws_standin.requests["DetectFaces"] == sent_before
    assert aws_standin.requests["CompareFaces"] == 0


def test_phone_verification_end_to_end(
    live_server: Any, celery_worker_process: Path, providers_on: StandIn
) -> None:
    _, key = tenant_create(slug="phone-market")
    messages = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    messages.clear()
    server = Client(live_server.url, key)
    created = server.post(
        "/v1/verifications", json={"subject": "buyer-7", "type": "phone", "phone_number": "+1 415 555 2671"}
    ).json()
    deadline = time.monotonic() + 60
    while not messages and time.monotonic() < deadline:
        time.sleep(0.1)
    ((number, text),) = messages.values()
    assert number == "+14155552671"
    match = re.search(r"\b(\d{6})\b", text)
    assert match is not None
    phone = Client(live_server.url, created["client_secret"])
    assert phone.get(f"/v1/verifications/{created['id']}").json()["phone"]["delivery"] == "sent"
    response = phone.post(f"/v1/verifications/{created['id']}/phone-code", json={"code": match.group(1)})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified"
    assert PhoneChallenge.objects.get(pk=created["id"]).sealed is None
    assert ProviderCall.objects.filter(verification_id=created["id"], operation="send_sms").count() == 1
