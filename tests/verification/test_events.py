"""Every status change writes an outbox event in its own transaction; decisions are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tests.images import jpeg
from verification.models import AuditRecord, Event, Tenant
from verification.services import verifications as lifecycle
from verification.services.documents import document_upload
from verification.services.verifications import verification_cancel, verification_create, verification_submit

pytestmark = pytest.mark.django_db


def test_submit_and_cancel_write_events_and_the_cancel_is_audited(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(lifecycle, "_enqueue_processing", queued.append)
    verification, _ = verification_create(tenant=tenant, subject="seller-1", type="document")
    verification_cancel(verification=verification, actor="api_key:abc")
    events = list(Event.objects.filter(verification=verification).order_by("created_at"))
    assert [e.type for e in events] == ["verification.canceled"]
    payload = events[0].payload
    assert payload["id"] == str(verification.id) and payload["status"] == "canceled"
    assert "verified_outputs" not in payload
    audit = AuditRecord.objects.get(target_id=str(verification.id))
    assert (audit.actor, audit.action) == ("api_key:abc", "verification.canceled")


def test_a_rolled_back_change_leaves_no_event(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "_enqueue_processing", lambda _id: None)
    verification, _ = verification_create(tenant=tenant, subject="seller-2", type="document")
    document_upload(verification=verification, kind="id_front", data=jpeg(seed=1))
    document_upload(verification=verification, kind="selfie", data=jpeg(seed=2))

    class Boom(Exception):
        pass

    def submit_then_fail() -> None:
        with transaction.atomic():
            verification_submit(verification=verification)
            assert Event.objects.filter(verification=verification).count() == 1
            raise Boom

    with pytest.raises(Boom):
        submit_then_fail()
    assert not Event.objects.filter(verification=verification).exists()
    verification_submit(verification=verification)
    assert list(Event.objects.filter(verification=verification).values_list("type", flat=True)) == [
        "verification.processing"
    ]
