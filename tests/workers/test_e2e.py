"""The whole lifecycle over real HTTP with a real Celery worker process, Redis and moto's S3."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.documents import SpecimenPerson, to_jpeg
from tests.specimens.faces import PEOPLE
from verification.services.tenants import tenant_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base + path, timeout=30, **kwargs)

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=30)


def wait_for_decision(client: Client, verification_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/v1/verifications/{verification_id}").json()
        if body["status"] != "processing":
            return body
        time.sleep(0.1)
    raise AssertionError("no decision in time")


def test_document_verification_lifecycle(live_server: Any, celery_worker_process: Path) -> None:
    _, key = tenant_create(slug="e2e-market", min_age=18)
    server = Client(live_server.url, key)
    created = server.post("/v1/verifications", json={"subject": "seller-1", "type": "document"}).json()
    phone = Client(live_server.url, created["client_secret"])

    person = SpecimenPerson()
    for kind, data in [("id_front", passport_jpeg(person, PEOPLE[0])), ("selfie", selfie_jpeg(PEOPLE[0]))]:
        response = phone.post(
            f"/v1/verifications/{created['id']}/files", data={"kind": kind}, files={"file": data}
        )
        assert response.status_code == 201, response.text
    submitted = phone.post(f"/v1/verifications/{created['id']}/submit")
    assert submitted.status_code == 202
    assert submitted.json()["status"] == "processing"

    decided = wait_for_decision(server, created["id"])
    assert decided["status"] == "verified", decided
    names = {check["name"] for check in decided["checks"]}
    assert {
        "quality_id_front",
        "quality_selfie",
        "selfie_face",
        "document_portrait",
        "face_match",
        "document",
        "age",
    } <= names
    assert all(check["outcome"] == "pass" for check in decided["checks"])
    assert decided["decided_at"] is not None
    outputs = decided["verified_outputs"]
    assert outputs["surname"] == person.surname
    assert outputs["birth_date"] == person.birth_date.isoformat()
    assert outputs["document_number_last4"] == person.document_number[-4:]
    assert decided["derived"] == {"age_at_least": 18}
    # The capture app never sees the personal fields.
    assert phone.get(f"/v1/verifications/{created['id']}").json()["verified_outputs"] is None

    # A repeated task for the same run decides nothing twice.
    from workers.tasks import process_verification

    process_verification.delay(created["id"])
    time.sleep(1.0)
    assert server.get(f"/v1/verifications/{created['id']}").json()["decided_at"] == decided["decided_at"]


def test_a_bad_selfie_goes_back_to_requires_input_and_can_be_fixed(
    live_server: Any, celery_worker_process: Path
) -> None:
    from PIL import Image

    _, key = tenant_create(slug="e2e-retry")
    server = Client(live_server.url, key)
    created = server.post("/v1/verifications", json={"subject": "seller-2", "type": "document"}).json()
    vid = created["id"]
    landscape = Image.new("RGB", (1280, 960), (90, 140, 200))
    server.post(
        f"/v1/verifications/{vid}/files",
        data={"kind": "id_front"},
        files={"file": passport_jpeg(SpecimenPerson(), PEOPLE[0])},
    )
    server.post(f"/v1/verifications/{vid}/files", data={"kind": "selfie"}, files={"file": to_jpeg(landscape)})
    server.post(f"/v1/verifications/{vid}/submit")
    first = wait_for_decision(server, vid)
    assert first["status"] == "requires_input"
    assert first["last_error"]["step"] == "selfie"
    assert first["last_error"]["retryable"] is True

    server.post(
        f"/v1/verifications/{vid}/files", data={"kind": "selfie"}, files={"file": selfie_jpeg(PEOPLE[0])}
    )
    assert server.post(f"/v1/verifications/{vid}/submit").status_code == 202
    second = wait_for_decision(server, vid)
    assert second["status"] == "verified", second
    assert second["last_error"] is None
