"""After the TTL only the outcome remains: documents, ciphertext and verified outputs are gone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.faces import PEOPLE
from verification.crypto import DecryptionError, Sealed, unseal
from verification.models import Document, Status, Tenant, Verification
from verification.services.documents import document_upload
from verification.services.processing import verification_process
from verification.services.retention import documents_purge_expired
from verification.services.verifications import verification_submit

pytestmark = pytest.mark.django_db


def verified(tenant: Tenant) -> Verification:
    from verification.services.verifications import verification_create

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
