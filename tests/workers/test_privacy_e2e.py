"""No personal data in logs or task messages: the whole lifecycle with known names and numbers.

A real worker process decides a passport whose name, number and date of birth the test chose;
then every line the worker logged, every app log record of this process and every task message
the API published are searched for them. The autouse fixture then proves retention (bucket,
database, broker queue, the worker's TMPDIR) after time travel.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from celery.signals import before_task_publish

from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.documents import SpecimenPerson, td3_mrz
from tests.specimens.faces import PEOPLE
from tests.workers.test_e2e import Client, wait_for_decision
from verification.services.tenants import tenant_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PERSON = SpecimenPerson(
    surname="QURESHI",
    given_names="ZAINAB FATIMA",
    document_number="KP7319254",
    birth_date=date(1991, 3, 27),
)


def needles() -> list[str]:
    mrz = td3_mrz(PERSON)
    return [
        PERSON.surname,
        *PERSON.given_names.split(),
        PERSON.document_number,
        PERSON.birth_date.isoformat(),
        PERSON.birth_date.strftime("%y%m%d"),
        PERSON.birth_date.strftime("%d.%m.%Y"),
        mrz[0][5:30],
        mrz[1][:20],
    ]


def found_in(text: str) -> list[str]:
    upper = text.upper()
    return [needle for needle in needles() if needle.upper() in upper]


def test_no_personal_data_in_logs_or_task_messages(
    live_server: Any, celery_worker_process: Path, caplog: pytest.LogCaptureFixture
) -> None:
    published: list[str] = []

    def record(body: Any = None, headers: Any = None, **_: Any) -> None:
        published.append(json.dumps({"body": body, "headers": headers}, default=str))

    before_task_publish.connect(record, weak=False)
    caplog.set_level(logging.INFO)
    worker_log_start = celery_worker_process.stat().st_size
    try:
        _, key = tenant_create(slug="privacy-market", min_age=18)
        server = Client(live_server.url, key)
        created = server.post("/v1/verifications", json={"subject": "seller-77", "type": "document"}).json()
        phone = Client(live_server.url, created["client_secret"])
        for kind, data in (
            ("id_front", passport_jpeg(PERSON, PEOPLE[0])),
            ("selfie", selfie_jpeg(PEOPLE[0])),
        ):
            response = phone.post(
                f"/v1/verifications/{created['id']}/files", data={"kind": kind}, files={"file": data}
            )
            assert response.status_code == 201, response.text
        assert phone.post(f"/v1/verifications/{created['id']}/submit").status_code == 202
        decided = wait_for_decision(server, created["id"])
        assert decided["status"] == "verified", decided
        # The pipeline did read the personal data: the search below has something to miss.
        assert decided["verified_outputs"]["surname"] == PERSON.surname
        assert decided["verified_outputs"]["birth_date"] == PERSON.birth_date.isoformat()
        exported = server.get("/v1/subjects/seller-77/export").json()
        assert found_in(json.dumps(exported))
        assert server.post("/v1/subjects/seller-77/erase").status_code == 200
    finally:
        before_task_publish.disconnect(record)

    assert published, "the API published no task: nothing was checked"
    assert all(not found_in(message) for message in published), [found_in(m) for m in published]
    app_logs = caplog.text + "\n".join(str(r.msg) + " " + repr(r.args) for r in caplog.records)
    assert caplog.records and not found_in(app_logs), found_in(app_logs)
    with celery_worker_process.open("rb") as handle:
        handle.seek(worker_log_start)
        worker_log = handle.read().decode("utf-8", "replace")
    assert "verification decided" in worker_log
    assert not found_in(worker_log), found_in(worker_log)
