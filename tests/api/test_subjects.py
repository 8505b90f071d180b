"""Subject rights over the API: export everything held, erase a subject, redact one verification."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.api.test_verifications import client_with, create, upload
from tests.images import jpeg
from tests.retention import verify_retention
from tests.verification.test_retention import stored_keys, verified
from verification.models import AuditRecord, Document, Event, IdentityFingerprint, Tenant, Verification
from verification.services.audit import audit_verify, chain_for
from verification.services.redaction import REDACTED
from verification.services.tenants import tenant_set_retention

pytestmark = pytest.mark.django_db


def test_export_holds_everything_about_the_subject_and_is_audited(api: APIClient, tenant: Tenant) -> None:
    done = verified(tenant)  # subject "seller-9"
    response = api.get("/v1/subjects/seller-9/export")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["object"] == "subject_export" and body["subject"] == "seller-9"
    [exported] = body["verifications"]
    assert exported["id"] == str(done.id) and exported["status"] == "verified"
    assert exported["verified_outputs"]["surname"] == "ERIKSSON"
    assert {c["name"] for c in exported["checks"]} >= {"face_match", "document"}
    assert exported["identity_fingerprint"] == {"held": True}
    assert {f["kind"] for f in exported["files"]} == {"id_front", "selfie"}
    assert "content_base64" not in exported["files"][0]
    actions = [a["action"] for a in exported["audit"]]
    assert "document.read" in actions and "verification.verified" in actions
    assert [e["type"] for e in exported["events"]] == ["verification.processing", "verification.verified"]
    export_audit = AuditRecord.objects.get(chain=chain_for(tenant), action="subject.exported")
    assert export_audit.details == {"verifications": [str(done.id)], "documents": False}
    assert "seller-9" not in export_audit.target_id  # a keyed hash, not the reference

    with_images = api.get("/v1/subjects/seller-9/export?include_documents=true").json()
    files = with_images["verifications"][0]["files"]
    assert all(base64.b64decode(f["content_base64"])[:3] == b"\xff\xd8\xff" for f in files)
    reads = AuditRecord.objects.filter(action="document.read", details__purpose="export")
    assert reads.count() == 2


def test_subject_rights_are_for_the_api_key_only_and_per_tenant(
    api: APIClient, other_api: APIClient, tenant: Tenant
) -> None:
    created = create(api, subject="seller-7")
    phone = client_with(created["client_secret"])
    assert phone.get("/v1/subjects/seller-7/export").json()["error"]["code"] == "permission_denied"
    assert phone.post("/v1/subjects/seller-7/erase").status_code == 403
    assert phone.post(f"/v1/verifications/{created['id']}/redact").status_code == 403
    assert other_api.get("/v1/subjects/seller-7/export").json()["error"]["code"] == "subject_not_found"
    assert other_api.post("/v1/subjects/seller-7/erase").status_code == 404
    assert other_api.post(f"/v1/verifications/{created['id']}/redact").status_code == 404
    assert api.get(f"/v1/subjects/{'x' * 129}/export").json()["error"]["code"] == "validation_error"
    assert APIClient().post("/v1/subjects/seller-7/erase").status_code == 401


def test_erasure_removes_documents_and_personal_fields_at_once(
    api: APIClient,
    tenant: Tenant,
    s3: Any,
    document_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    done = verified(tenant)
    pending = create(api, subject="seller-9")
    upload(api, pending["id"], "selfie", jpeg(320, 240, seed=5))
    keys = set(
        Document.objects.filter(verification__subject="seller-9").values_list("storage_key", flat=True)
    )
    assert len(keys) == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/v1/subjects/seller-9/erase")
    assert response.status_code == 200, response.content
    assert set(response.json()["redacted"]) == {str(done.id), pending["id"]}
    assert response.json()["fingerprints_kept"] is False

    assert not stored_keys(s3, document_bucket) & keys
    assert not Document.objects.filter(storage_key__in=keys).exists()
    assert not IdentityFingerprint.objects.filter(verification=done).exists()
    shown = api.get(f"/v1/verifications/{done.id}").json()
    assert shown["status"] == "redacted" and shown["subject"] == REDACTED
    assert shown["checks"] == [] and shown["derived"] == {} and shown["verified_outputs"] is None
    assert shown["files"] == [] and shown["redacted_at"] is not None and shown["decided_at"] is not None
    # The outbox keeps the history of the object, not the person.
    events = list(Event.objects.filter(verification=done).order_by("created_at"))
    assert [e.type for e in events][-2:] == ["verification.documents_deleted", "verification.redacted"]
    assert all(e.payload["subject"] == REDACTED and e.payload["checks"] == [] for e in events)
    # The capture app's secret is dead.
    assert client_with(pending["client_secret"]).get(f"/v1/verifications/{pending['id']}").status_code == 401
    # Nothing left to export or erase; the retention scan agrees; the trail shows the erasure.
    assert api.get("/v1/subjects/seller-9/export").status_code == 404
    assert api.post("/v1/subjects/seller-9/erase").json()["error"]["code"] == "subject_not_found"
    report = verify_retention(args=("--skip", "tempdir", "--skip", "bucket"))
    assert report["exit"] == 0, report["findings"]
    actions = set(AuditRecord.objects.filter(chain=chain_for(tenant)).values_list("action", flat=True))
    assert {"verification.redacted", "documents.shredded", "subject.erased"} <= actions
    assert audit_verify() == []


def test_the_fraud_prevention_exception_keeps_the_fingerprint_without_the_subject(
    api: APIClient, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    tenant_set_retention(tenant=tenant, retention={"keep_fingerprints_on_erasure": True})
    done = verified(tenant)
    digest = IdentityFingerprint.objects.get(verification=done).digest
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/v1/subjects/seller-9/erase")
    assert response.json()["fingerprints_kept"] is True
    kept = IdentityFingerprint.objects.get(verification=done)
    assert (kept.digest, kept.subject) == (digest, REDACTED)
    assert verify_retention(args=("--skip", "tempdir", "--skip", "bucket"))["exit"] == 0


def test_redacting_one_verification_is_idempotent_and_leaves_the_others(
    api: APIClient, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = create(api, subject="seller-3"), create(api, subject="seller-3")
    upload(api, first["id"], "selfie", jpeg(320, 240, seed=8))
    with django_capture_on_commit_callbacks(execute=True):
        redacted = api.post(f"/v1/verifications/{first['id']}/redact")
    assert redacted.status_code == 200 and redacted.json()["status"] == "redacted"
    again = api.post(f"/v1/verifications/{first['id']}/redact")
    assert again.status_code == 200 and again.json()["redacted_at"] == redacted.json()["redacted_at"]
    assert Event.objects.filter(verification_id=first["id"], type="verification.redacted").count() == 1
    assert Verification.objects.get(pk=second["id"]).subject == "seller-3"
    exported = api.get("/v1/subjects/seller-3/export").json()
    assert [v["id"] for v in exported["verifications"]] == [second["id"]]
    # A redacted verification accepts nothing more.
    assert (
        api.post(f"/v1/verifications/{first['id']}/cancel").json()["error"]["code"]
        == "invalid_state_transition"
    )


def test_a_leak_into_a_redacted_verification_is_found_and_audit_tampering_detected(
    api: APIClient, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    created = create(api, subject="seller-4")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/v1/verifications/{created['id']}/redact")
    Verification.objects.filter(pk=created["id"]).update(subject="seller-4")
    report = verify_retention(args=("--skip", "tempdir", "--skip", "bucket"))
    assert report["exit"] == 1
    assert {
        "kind": "redacted_verification_holds_personal_data",
        "where": "database",
        "ref": created["id"],
    } in report["findings"]
    AuditRecord.objects.filter(chain=chain_for(tenant), action="verification.redacted").update(actor="nobody")
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO())


def test_the_schema_documents_the_subject_rights_endpoints() -> None:
    schema = APIClient().get("/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {
        "/v1/subjects/{subject}/export",
        "/v1/subjects/{subject}/erase",
        "/v1/verifications/{verification_id}/redact",
    } <= set(schema["paths"])
    assert "redacted" in schema["components"]["schemas"]["VerificationStatusEnum"]["enum"]
