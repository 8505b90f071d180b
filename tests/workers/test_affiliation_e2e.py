"""Affiliation end to end: real HTTP, a real Celery worker, and a local stand-in for the
organisation's endpoint that checks the signature of every confirmation request it receives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone

from tests.affiliation import COMMUNITY, MEMBER_REF, card_photo, new_signer
from tests.workers.test_e2e import Client, wait_for_decision
from verification.models import Affiliation, ConfirmationRequest
from verification.services.organizations import (
    organization_create,
    organization_credential_create,
    organization_key_add,
)
from verification.services.tenants import tenant_create
from verification.webhook_signing import HEADER, SignatureError, signature_verify

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class OrgEndpoint:
    """The organisation's server: records what arrives, verifies it, answers as told."""

    def __init__(self) -> None:
        self.secret = ""
        self.reply: dict[str, Any] = {}
        self.received: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    signature_verify(self.headers[HEADER], body, endpoint.secret)
                    valid = True
                except SignatureError:
                    valid = False
                endpoint.received.append({"valid": valid, "body": json.loads(body), "path": self.path})
                reply = json.dumps(endpoint.reply if valid else {"error": "bad signature"}).encode()
                self.send_response(200 if valid else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tasdeeq/confirmations"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, "the organisation's endpoint was not called"


@pytest.fixture
def endpoint() -> Iterator[OrgEndpoint]:
    server = OrgEndpoint()
    yield server
    server.server.shutdown()


def _affiliation(live_server: Any, key: str, subject: str) -> tuple[Client, Client, str]:
    server = Client(live_server.url, key)
    created = server.post("/v1/verifications", json={"subject": subject, "type": "affiliation"}).json()
    return server, Client(live_server.url, created["client_secret"]), created["id"]


def test_attestation_text_and_photo_through_the_worker(live_server: Any, celery_worker_process: Path) -> None:
    _, key = tenant_create(slug="e2e-affiliation")
    signer = new_signer()
    organization, _ = organization_create(slug="jamat-e2e", name="Jamat E2E", communities=[COMMUNITY])
    organization_key_add(organization=organization, kid=signer.kid, public_key=signer.public_raw,
                         valid_from=timezone.now() - timedelta(days=1))  # fmt: skip

    server, phone, verification_id = _affiliation(live_server, key, "member-1")
    token = signer.token(str(organization.id), jti="e2e-card-1")
    assert (
        phone.post(f"/v1/verifications/{verification_id}/attestation", json={"token": token}).status_code
        == 202
    )
    assert phone.post(f"/v1/verifications/{verification_id}/submit").status_code == 202
    decided = wait_for_decision(server, verification_id)
    assert decided["status"] == "verified", decided
    assert decided["derived"]["affiliation"] == {
        "organization": "jamat-e2e",
        "community": COMMUNITY,
        "attestation_expires_at": decided["derived"]["affiliation"]["attestation_expires_at"],
    }

    server, phone, photo_id = _affiliation(live_server, key, "member-2")
    photo = card_photo(signer.token(str(organization.id), jti="e2e-card-2"))
    uploaded = phone.post(
        f"/v1/verifications/{photo_id}/files", data={"kind": "attestation_qr"}, files={"file": photo}
    )
    assert uploaded.status_code == 201, uploaded.text
    assert phone.post(f"/v1/verifications/{photo_id}/submit").status_code == 202
    decided = wait_for_decision(server, photo_id)
    assert decided["status"] == "verified", decided
    assert decided["files"] == [] and decided["documents_deleted_at"] is not None


def test_the_confirmation_route_through_the_organisations_endpoint(
    live_server: Any, celery_worker_process: Path, endpoint: OrgEndpoint
) -> None:
    _, key = tenant_create(slug="e2e-confirm")
    organization, secret = organization_create(
        slug="council-e2e", name="Council E2E", communities=[COMMUNITY], webhook_url=endpoint.url
    )
    assert secret is not None
    endpoint.secret = secret
    _, credential = organization_credential_create(organization=organization)
    officers = requests.Session()
    officers.headers["Authorization"] = f"Bearer {credential}"

    # 1. The endpoint answers in its reply.
    endpoint.reply = {"answer": "confirmed"}
    server, phone, first = _affiliation(live_server, key, "member-1")
    asked = phone.post(
        f"/v1/verifications/{first}/confirmation-request",
        json={"organization": "council-e2e", "member_reference": MEMBER_REF},
    )
    assert asked.status_code == 202, asked.text
    assert wait_for_decision(server, first)["status"] == "verified"
    endpoint.wait(1)
    call = endpoint.received[0]
    assert call["valid"], "the signature did not verify with the organisation's secret"
    assert call["body"]["member_reference"] == MEMBER_REF and call["body"]["community"] == COMMUNITY
    assert call["path"] == "/tasdeeq/confirmations"

    # 2. The endpoint only acknowledges; an officer polls and denies.
    endpoint.reply = {}
    server, phone, second = _affiliation(live_server, key, "member-2")
    phone.post(
        f"/v1/verifications/{second}/confirmation-request",
        json={"organization": "council-e2e", "member_reference": "MBR-2"},
    )
    endpoint.wait(2)
    pending = officers.get(f"{live_server.url}/v1/org/confirmation-requests", timeout=10).json()["results"]
    assert [item["member_reference"] for item in pending] == ["MBR-2"]
    answered = officers.post(
        f"{live_server.url}/v1/org/confirmation-requests/{pending[0]['id']}/answer",
        json={"answer": "denied"},
        timeout=10,
    )
    assert answered.status_code == 200, answered.text
    decided = wait_for_decision(server, second)
    assert decided["status"] == "rejected" and decided["last_error"]["code"] == "affiliation_denied"

    # Nothing personal is left of the decided ones.
    for request in ConfirmationRequest.objects.filter(verification_id__in=[first, second]):
        assert request.member_ref_ciphertext is None
    assert Affiliation.objects.filter(verification_id=first, route="confirmation").exists()
