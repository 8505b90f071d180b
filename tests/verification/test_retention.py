"""After the TTL only the outcome remains: documents, ciphertext and verified outputs are gone."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.images import jpeg
from tests.retention import kinds, verify_retention
from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.faces import PEOPLE
from verification.crypto import DecryptionError, Sealed, unseal
from verification.models import (
    AuditChainHead,
    AuditRecord,
    Document,
    Event,
    ObjectDeletion,
    PurgeRun,
    Status,
    Tenant,
    Verification,
)
from verification.services import documents as documents_service
from verification.services.audit import audit_verify, chain_for
from verification.services.documents import document_upload
from verification.services.processing import verification_process
from verification.services.retention import documents_purge_expired, orphans_sweep, records_purge_expired
from verification.services.tenants import tenant_create
from verification.services.verifications import verification_create, verification_submit

pytestmark = pytest.mark.django_db


def verified(tenant: Tenant) -> Verification:
    verification, _ = verification_create(tenant=tenant, subject="seller-9", type="document")
    document_upload(verification=verification, kind="id_front", data=passport_jpeg(face=PEOPLE[0], seed=4))
    document_upload(verification=verification, kind="selfie", data=selfie_jpeg(PEOPLE[0]))
    verification_submit(verification=verification)
    assert verification_process(verification_id=str(verification.id)) == Status.VERIFIED
    return Verification.objects.get(pk=verification.pk)


def test_purge_after_the_ttl_leaves_only_the_outcome(
    tenant: Tenant, api: APIClient, s3: Any, document_bucket: str
) -> None:
    verification = verified(tenant)
    documents = list(Document.objects.filter(verification=verification))
    assert len(documents) == 2
    decided_at = verification.decided_at
    assert decided_at is not None
    assert verification.documents_expire_at <= decided_at + timedelta(hours=24)
    before = api.get(f"/v1/verifications/{verification.id}").json()
    assert before["verified_outputs"]["surname"] == "ERIKSSON"

    # Nothing is purged before its time.
    assert documents_purge_expired(now=decided_at + timedelta(hours=23)) == 0
    assert documents_purge_expired(now=decided_at + timedelta(hours=25)) == 2

    assert not Document.objects.filter(verification=verification).exists()
    keys = {obj["Key"] for obj in s3.list_objects_v2(Bucket=document_bucket).get("Contents", [])}
    assert not keys & {document.storage_key for document in documents}
    after = api.get(f"/v1/verifications/{verification.id}").json()
    assert after["status"] == "verified"
    assert after["verified_outputs"] is None
    assert after["files"] == []
    assert after["documents_deleted_at"] is not None
    assert after["derived"] == {"age_at_least": 18}
    assert [c["name"] for c in after["checks"]] == [c["name"] for c in before["checks"]]
    stored = Verification.objects.get(pk=verification.pk)
    assert stored.outputs_ciphertext is None and stored.outputs_wrapped_key is None


def test_a_copy_of_the_ciphertext_is_unreadable_once_the_key_is_shredded(
    tenant: Tenant, s3: Any, document_bucket: str
) -> None:
    verification = verified(tenant)
    document = Document.objects.filter(verification=verification).first()
    assert document is not None
    backup = s3.get_object(Bucket=document_bucket, Key=document.storage_key)["Body"].read()
    documents_purge_expired(now=verification.documents_expire_at + timedelta(seconds=1))
    # The only key that could open the backup was the row's wrapped key; another document's won't do.
    other = verified(tenant)
    stranger = Document.objects.filter(verification=other).first()
    assert stranger is not None
    with pytest.raises(DecryptionError):
        unseal(
            Sealed(ciphertext=backup, key_id=stranger.key_id, wrapped_key=bytes(stranger.wrapped_key)),
            context=document.id.bytes,
        )


# --- the retention contract, proved by verify_retention -------------------------------------------


def stored_keys(s3: Any, bucket: str) -> set[str]:
    return {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def uploaded(tenant: Tenant, subject: str, seed: int) -> Verification:
    verification, _ = verification_create(tenant=tenant, subject=subject, type="document")
    document_upload(verification=verification, kind="id_front", data=jpeg(320, 240, seed=seed))
    document_upload(verification=verification, kind="selfie", data=jpeg(320, 240, seed=seed + 1))
    return verification


def test_documents_expire_at_is_shown_from_creation(tenant: Tenant, api: APIClient) -> None:
    created = api.post("/v1/verifications", {"subject": "s-1", "type": "document"}, format="json").json()
    stored = Verification.objects.get(pk=created["id"])
    assert created["documents_expire_at"] is not None
    assert abs(stored.documents_expire_at - stored.created_at - timedelta(days=30)) < timedelta(seconds=1)


def test_time_travel_over_the_ttl_then_the_purge_leaves_nothing(
    tenant: Tenant, s3: Any, document_bucket: str
) -> None:
    verification = verified(tenant)
    keys = {d.storage_key for d in Document.objects.filter(verification=verification)}
    decided_at = verification.decided_at
    assert decided_at is not None
    after_ttl = decided_at + timedelta(hours=25)
    orphans_sweep(now=after_ttl)  # objects other tests left behind when their rows rolled back

    # Before the purge the scan sees every copy that outlived its TTL, and fails.
    late = verify_retention(at=after_ttl)
    assert late["exit"] == 1
    assert {"document_past_expiry", "object_past_expiry", "verified_outputs_past_expiry"} <= kinds(late)
    assert {f["ref"] for f in late["findings"] if f["where"] == "bucket"} == keys

    assert documents_purge_expired(now=after_ttl) == 2
    clean = verify_retention(at=after_ttl)
    assert clean["exit"] == 0, clean["findings"]
    assert clean["scanned"]["bucket"]["objects"] >= 0 and clean["scanned"]["database"] is True
    assert not stored_keys(s3, document_bucket) & keys
    events = list(Event.objects.filter(verification=verification).values_list("type", flat=True))
    assert events.count("verification.documents_deleted") == 1
    # A second run finds nothing more to do and records no second event.
    assert documents_purge_expired(now=after_ttl + timedelta(hours=1)) == 0
    assert Event.objects.filter(verification=verification, type="verification.documents_deleted").count() == 1


def test_a_never_decided_verification_loses_its_documents_after_30_days(
    tenant: Tenant, s3: Any, document_bucket: str
) -> None:
    verification = uploaded(tenant, "s-abandoned", seed=3)
    assert documents_purge_expired(now=timezone.now() + timedelta(days=29)) == 0
    later = timezone.now() + timedelta(days=30, minutes=1)
    assert documents_purge_expired(now=later) == 2
    stored = Verification.objects.get(pk=verification.pk)
    assert stored.status == Status.REQUIRES_INPUT and stored.documents_deleted_at is not None
    orphans_sweep(now=later)
    assert verify_retention(at=later)["exit"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_purgers_at_once_delete_everything_exactly_once(s3: Any, document_bucket: str) -> None:
    tenant, _ = tenant_create(slug="purge-race")
    verifications = [uploaded(tenant, f"s-{i}", seed=i) for i in range(12)]
    keys = set(Document.objects.values_list("storage_key", flat=True))
    assert len(keys) == 24
    later = timezone.now() + timedelta(days=31)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def purger() -> None:
        try:
            barrier.wait()
            counts.append(documents_purge_expired(now=later, batch_size=5))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=purger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(counts) == 24  # every document once, none twice
    assert not Document.objects.exists() and not ObjectDeletion.objects.exists()
    assert not stored_keys(s3, document_bucket) & keys
    for verification in verifications:
        assert (
            Event.objects.filter(verification=verification, type="verification.documents_deleted").count()
            == 1
        )
    run = PurgeRun.objects.get(job="documents")
    assert (run.runs, run.deleted, run.failures) == (2, 24, 0)


def test_a_purge_interrupted_half_way_resumes(
    tenant: Tenant, s3: Any, document_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        uploaded(tenant, f"s-{i}", seed=10 + i)
    keys = set(Document.objects.values_list("storage_key", flat=True))
    later = timezone.now() + timedelta(days=31)
    orphans_sweep(now=later)

    real = documents_service.documents_delete_objects

    def dies(*, keys: list[str]) -> None:
        raise OSError("the process died before the object store answered")

    # The first batch's rows (and wrapped keys) are committed as deleted, then the process "dies".
    monkeypatch.setattr(documents_service, "documents_delete_objects", dies)
    with pytest.raises(OSError, match="died"):
        documents_purge_expired(now=later, batch_size=4)
    assert Document.objects.count() == 2
    assert ObjectDeletion.objects.count() == 4
    assert stored_keys(s3, document_bucket) >= keys  # the objects are still there, keys shredded
    interrupted = verify_retention(at=later)
    assert interrupted["exit"] == 1
    assert {"object_without_row", "object_deletion_pending", "document_past_expiry"} <= kinds(interrupted)
    assert PurgeRun.objects.get(job="documents").failures == 1

    monkeypatch.setattr(documents_service, "documents_delete_objects", real)
    assert documents_purge_expired(now=later, batch_size=4) == 2
    assert not ObjectDeletion.objects.exists()
    assert not stored_keys(s3, document_bucket) & keys
    assert verify_retention(at=later)["exit"] == 0


def test_the_orphan_sweep_deletes_objects_no_row_owns(tenant: Tenant, s3: Any, document_bucket: str) -> None:
    verification = uploaded(tenant, "s-orphan", seed=20)
    kept = set(Document.objects.filter(verification=verification).values_list("storage_key", flat=True))
    # An object with no row and no to-do (e.g. a replaced upload whose on-commit delete failed).
    s3.put_object(Bucket=document_bucket, Key=f"{tenant.pk}/{verification.pk}/stray", Body=b"ciphertext")
    assert orphans_sweep() == 0  # too young: could be an upload in flight
    soon = timezone.now() + timedelta(hours=2)
    assert verify_retention(at=soon)["exit"] == 1
    assert orphans_sweep(now=soon) >= 1
    remaining = stored_keys(s3, document_bucket)
    assert f"{tenant.pk}/{verification.pk}/stray" not in remaining
    assert kept <= remaining  # live documents are untouched


def test_a_shredded_key_makes_a_restored_copy_undecryptable(
    tenant: Tenant, s3: Any, document_bucket: str
) -> None:
    s3.put_bucket_versioning(Bucket=document_bucket, VersioningConfiguration={"Status": "Enabled"})
    try:
        verification = verified(tenant)
        documents = list(Document.objects.filter(verification=verification))
        wrapped = {d.id: bytes(d.wrapped_key) for d in documents}
        # Before the purge the copy opens with the row's key: the test below is not vacuous.
        first = documents[0]
        copy = s3.get_object(Bucket=document_bucket, Key=first.storage_key)["Body"].read()
        assert unseal(Sealed(copy, first.key_id, wrapped[first.id]), context=first.id.bytes)
        documents_purge_expired(now=verification.documents_expire_at + timedelta(seconds=1))

        for document in documents:
            versions = s3.list_object_versions(Bucket=document_bucket, Prefix=document.storage_key)
            restored = [v for v in versions.get("Versions", []) if not v.get("IsLatest")] or versions[
                "Versions"
            ]
            body = s3.get_object(
                Bucket=document_bucket, Key=document.storage_key, VersionId=restored[0]["VersionId"]
            )["Body"].read()
            # The versioned bucket kept the ciphertext, but no key that could open it is left anywhere.
            assert not Document.objects.filter(pk=document.pk).exists()
            for candidate in Document.objects.all():
                with pytest.raises(DecryptionError):
                    unseal(
                        Sealed(body, candidate.key_id, bytes(candidate.wrapped_key)),
                        context=document.id.bytes,
                    )
        assert Verification.objects.get(pk=verification.pk).outputs_wrapped_key is None
        # The shredded copies are still raw documents: past the lifecycle rule's day, the scan says so.
        assert "noncurrent_version_past_lifecycle" not in kinds(verify_retention())
        three_days_on = timezone.now() + timedelta(days=3)
        orphans_sweep(now=three_days_on)
        late = verify_retention(at=three_days_on)
        stale = {f["ref"] for f in late["findings"] if f["kind"] == "noncurrent_version_past_lifecycle"}
        assert {d.storage_key for d in documents} <= stale
    finally:
        # What the lifecycle rule would do: remove every non-current version (moto cannot delete
        # delete markers by version id; they hold no data and listings hide them).
        for entry in s3.list_object_versions(Bucket=document_bucket).get("Versions", []):
            if not entry.get("IsLatest"):
                s3.delete_object(Bucket=document_bucket, Key=entry["Key"], VersionId=entry["VersionId"])
        s3.put_bucket_versioning(Bucket=document_bucket, VersioningConfiguration={"Status": "Suspended"})


def test_records_past_retention_go_and_the_audit_chain_still_verifies(
    tenant: Tenant, s3: Any, document_bucket: str
) -> None:
    old = verified(tenant)
    chain = chain_for(tenant)
    assert AuditRecord.objects.filter(chain=chain).count() >= 3
    five_years_on = timezone.now() + timedelta(days=5 * 365 + 2)
    documents_purge_expired(now=five_years_on)
    orphans_sweep(now=five_years_on)
    due = verify_retention(at=five_years_on)
    assert {"verification_past_records_retention", "audit_records_past_records_retention"} <= kinds(due)

    # Real time travel: the records the purge writes (audit.pruned, records.purged) are dated then.
    with mock.patch("django.utils.timezone.now", return_value=five_years_on):
        assert records_purge_expired() == 1
    assert not Verification.objects.filter(pk=old.pk).exists()
    assert not Event.objects.filter(tenant=tenant).exists()
    assert audit_verify(chain=chain) == []
    head = AuditChainHead.objects.get(chain=chain)
    assert head.base_seq > 0
    kept = list(AuditRecord.objects.filter(chain=chain).order_by("seq").values_list("action", flat=True))
    assert kept == ["audit.pruned", "records.purged"]
    assert verify_retention(at=five_years_on)["exit"] == 0

    # Tampering is still detected after pruning: a moved base, or an edited kept record.
    AuditChainHead.objects.filter(chain=chain).update(base_seq=head.base_seq - 1)
    assert {p.problem for p in audit_verify(chain=chain)} >= {"unrecorded_prune"}
    AuditChainHead.objects.filter(chain=chain).update(base_seq=head.base_seq)
    AuditRecord.objects.filter(chain=chain, action="records.purged").update(details={"verifications": 0})
    assert [p.problem for p in audit_verify(chain=chain)] == ["digest_mismatch"]


def test_a_tenant_retention_policy_shortens_the_ttl_and_is_audited(tenant: Tenant) -> None:
    out = io.StringIO()
    call_command(
        "set_tenant_retention",
        tenant.slug,
        '{"document_ttl_after_decision_seconds": 600, "records_retention_days": 400}',
        stdout=out,
    )
    assert json.loads(out.getvalue())["effective"]["document_ttl_after_decision_seconds"] == 600
    change = AuditRecord.objects.get(chain=chain_for(tenant), action="tenant.retention_changed")
    assert change.actor == "operator:cli" and change.details["records_retention_days"] == 400
    tenant.refresh_from_db()
    verification = verified(tenant)
    assert verification.decided_at is not None
    assert verification.documents_expire_at == verification.decided_at + timedelta(seconds=600)
    assert all(
        d.expires_at <= verification.documents_expire_at
        for d in Document.objects.filter(verification=verification)
    )
    for bad in (
        '{"document_max_age_seconds": 99999999}',
        '{"document_ttl_after_decision_seconds": -1}',
        '{"keep_fingerprints_on_erasure": "yes"}',
        '{"shred_never": true}',
    ):
        with pytest.raises(CommandError):
            call_command("set_tenant_retention", tenant.slug, bad, stdout=io.StringIO())


def test_policy_and_api_key_changes_are_audited(tenant: Tenant) -> None:
    call_command("set_tenant_policy", tenant.slug, '{"max_input_attempts": 2}', stdout=io.StringIO())
    call_command("create_api_key", tenant.slug, stdout=io.StringIO())
    actions = set(AuditRecord.objects.filter(chain=chain_for(tenant)).values_list("action", flat=True))
    assert {"tenant.policy_changed", "api_key.created"} <= actions
    assert audit_verify() == []


def test_the_lifecycle_rule_is_put_on_the_bucket(s3: Any, document_bucket: str) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=document_bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "someone-else",
                    "Filter": {"Prefix": "logs/"},
                    "Status": "Enabled",
                    "Expiration": {"Days": 9},
                }
            ]
        },
    )
    call_command("configure_bucket_lifecycle", stdout=io.StringIO())
    call_command("configure_bucket_lifecycle", stdout=io.StringIO())  # idempotent: replaced, not added
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=document_bucket)["Rules"]}
    assert set(rules) == {"someone-else", "tasdeeq-documents-backstop"}
    ours = rules["tasdeeq-documents-backstop"]
    assert ours["Expiration"]["Days"] == 31
    assert ours["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    s3.delete_bucket_lifecycle(Bucket=document_bucket)


def test_readyz_and_metrics_report_a_late_purge(tenant: Tenant, settings: Any) -> None:
    verification = uploaded(tenant, "s-late", seed=30)
    client = APIClient()
    assert client.get("/readyz").status_code == 200
    Document.objects.filter(verification=verification).update(expires_at=timezone.now() - timedelta(hours=2))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["retention"] == "purge_late"
    assert ready.json()["details"]["retention"]["overdue_documents"] == 2
    body = client.get("/metrics").content.decode()
    assert "tasdeeq_documents_overdue 2.0" in body
    assert "tasdeeq_purge_late 1.0" in body
    assert re.search(r"tasdeeq_documents_overdue_oldest_seconds 7\d{3}", body)

    documents_purge_expired()
    assert client.get("/readyz").status_code == 200
    body = client.get("/metrics").content.decode()
    assert "tasdeeq_documents_overdue 0.0" in body
    assert 'tasdeeq_purge_runs_total{job="documents"} 1.0' in body
    assert 'tasdeeq_purge_deleted_total{job="documents"} 2.0' in body

    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
