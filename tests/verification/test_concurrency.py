"""Two submits at once on real PostgreSQL: one processing run, one refusal."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from tests.images import jpeg
from verification.errors import InvalidState
from verification.models import Status, Verification
from verification.services import verifications as lifecycle
from verification.services.documents import document_upload
from verification.services.tenants import tenant_create
from verification.services.verifications import verification_create, verification_submit


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_produce_one_processing_run(monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(lifecycle, "_enqueue_processing", queued.append)
    tenant, _ = tenant_create(slug="race")
    verification, _ = verification_create(tenant=tenant, subject="s", type="document")
    document_upload(verification=verification, kind="id_front", data=jpeg(seed=1))
    document_upload(verification=verification, kind="selfie", data=jpeg(seed=2))

    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            barrier.wait()
            verification_submit(verification=verification)
            outcomes.append("ok")
        except InvalidState:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert len(queued) == 1
    stored = Verification.objects.get(pk=verification.pk)
    assert stored.status == Status.PROCESSING
    assert stored.submissions == 1
