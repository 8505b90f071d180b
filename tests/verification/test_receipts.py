"""Signed receipts: issued on a decision, verified offline by the client package, rotatable keys,
reissued when the documents go, withdrawn on redaction."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from tasdeeq_client import ReceiptVerificationError, receipt_verify

from tests.images import jpeg
from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.faces import PEOPLE
from tests.verification.test_retention import verified
from verification.models import Receipt, Tenant, Verification
from verification.services.documents import document_upload
from verification.services.processing import verification_process
from verification.services.redaction import verification_redact
from verification.services.retention import documents_purge_expired
from verification.services.verifications import verification_cancel, verification_create, verification_submit

NEW_KEY = "test-r2:" + base64.b64encode(b"\x02" * 32).decode()
OLD_KEY = "test-r1:yvVBayZGEzwexmKZbjZY4hYo6u4Ipov1yKSNQT4xFL8="


def decided(tenant: Tenant, outcome: str = "verified", subject: str = "seller-1") -> Verification:
    verification, _ = verification_create(
        tenant=tenant, subject=subject, type="document", livemode=False, test_outcome=outcome
    )
    document_upload(verification=verification, kind="id_front", data=jpeg(seed=1))
    document_upload(verification=verification, kind="selfie", data=jpeg(seed=2))
    verification_submit(verification=verification)
    verification_process(verification_id=str(verification.id))
    verification.refresh_from_db()
    return verification


def jwks(client: APIClient) -> dict:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return response.json()


def test_a_decision_gets_a_receipt_that_verifies_offline(tenant: Tenant, api: APIClient) -> None:
    verification = decided(tenant, "rejected")
    receipt = Receipt.objects.get(verification=verification)
    claims = receipt_verify(receipt.jws, jwks(api), issuer="tasdeeq", allow_test=True)
    assert claims.verification_id == str(verification.id)
    assert claims.tenant_id == str(tenant.id) and claims.tenant_slug == tenant.slug
    assert claims.subject == "seller-1" and claims.type == "document"
    assert claims.outcome == "rejected" and claims.livemode is False
    assert [(c.name, c.outcome, c.reasons) for c in claims.checks] == [
        ("face_match", "fail", ["selfie_face_mismatch"])
    ]
    assert claims.documents_deleted_at is None and claims.kid == "test-r1"
    assert json.loads(base64.urlsafe_b64decode(receipt.jws.split(".")[0] + "==")) == {
        "alg": "Ed25519",
        "kid": "test-r1",
        "typ": "tasdeeq-receipt+jwt",
    }


def test_a_tampered_or_foreign_receipt_is_refused(tenant: Tenant, api: APIClient) -> None:
    token = Receipt.objects.get(verification=decided(tenant, "rejected")).jws
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["outcome"] = "verified"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(ReceiptVerificationError) as tampered:
        receipt_verify(f"{header}.{forged}.{signature}", jwks(api), allow_test=True)
    assert tampered.value.code == "receipt_signature_invalid"
    with override_settings(TASDEEQ_RECEIPT_KEYS="test-r1:" + base64.b64encode(b"\x07" * 32).decode()):
        other_issuer = jwks(api)  # same kid, another key
    with pytest.raises(ReceiptVerificationError):
        receipt_verify(token, other_issuer, allow_test=True)
    with pytest.raises(ReceiptVerificationError) as wrong_issuer:
        receipt_verify(token, jwks(api), issuer="someone-else", allow_test=True)
    assert wrong_issuer.value.code == "receipt_wrong_issuer"


def test_the_api_serves_the_receipt_to_its_tenant_and_mode_only(tenant: Tenant, other_api: APIClient) -> None:
    from verification.services.tenants import api_key_create

    verification = decided(tenant)
    _, test_key = api_key_create(tenant=tenant, livemode=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {test_key}")
    response = client.get(f"/v1/verifications/{verification.id}/receipt")
    assert response.status_code == 200
    assert receipt_verify(response.json()["receipt"], jwks(client), allow_test=True).outcome == "verified"
    assert other_api.get(f"/v1/verifications/{verification.id}/receipt").status_code == 404
    undecided, _ = verification_create(tenant=tenant, subject="s-2", type="document", livemode=False)
    missing = client.get(f"/v1/verifications/{undecided.id}/receipt")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "receipt_not_available"
    canceled = verification_cancel(verification=undecided)
    assert not Receipt.objects.filter(verification=canceled).exists()  # no decision, no receipt


def test_keys_rotate_and_old_receipts_still_verify(tenant: Tenant, api: APIClient) -> None:
    old = Receipt.objects.get(verification=decided(tenant, subject="seller-1")).jws
    with override_settings(TASDEEQ_RECEIPT_KEYS=f"{NEW_KEY},{OLD_KEY}"):
        published = jwks(api)
        new = Receipt.objects.get(verification=decided(tenant, subject="seller-2"))
    assert [k["kid"] for k in published["keys"]] == ["test-r2", "test-r1"]
    assert all(set(k) == {"kty", "crv", "x", "kid", "alg", "use"} for k in published["keys"])  # public only
    assert new.kid == "test-r2"
    assert receipt_verify(new.jws, published, allow_test=True).kid == "test-r2"
    assert receipt_verify(old, published, allow_test=True).kid == "test-r1"


def test_the_receipt_is_reissued_when_the_documents_are_deleted(tenant: Tenant, api: APIClient) -> None:
    verification = decided(tenant)
    first = receipt_verify(Receipt.objects.get(verification=verification).jws, jwks(api), allow_test=True)
    documents_purge_expired(now=timezone.now() + timedelta(days=31))
    second = receipt_verify(Receipt.objects.get(verification=verification).jws, jwks(api), allow_test=True)
    assert first.documents_deleted_at is None
    assert second.documents_deleted_at is not None
    assert second.supersedes == first.jti and second.jti != first.jti
    assert second.outcome == first.outcome == "verified"


def test_a_redacted_verification_has_no_receipt(tenant: Tenant, api: APIClient) -> None:
    verification = decided(tenant)
    verification_redact(verification=verification, actor="test")
    assert not Receipt.objects.filter(verification=verification).exists()


def test_a_real_pipeline_decision_states_its_assurance(tenant: Tenant, api: APIClient) -> None:
    verification, _ = verification_create(tenant=tenant, subject="seller-9", type="document")
    document_upload(verification=verification, kind="id_front", data=passport_jpeg(face=PEOPLE[0], seed=4))
    document_upload(verification=verification, kind="selfie", data=selfie_jpeg(PEOPLE[0]))
    verification_submit(verification=verification)
    assert verification_process(verification_id=str(verification.id)) == "verified"
    claims = receipt_verify(Receipt.objects.get(verification=verification).jws, jwks(api), allow_test=True)
    assert claims.livemode is True and claims.outcome == "verified"
    assert claims.assurance["level"] == "document_and_biometric"
    assert claims.assurance["evidence"] == [{"type": "document", "captures": ["id_front", "selfie"]}]
    assert [m["type"] for m in claims.assurance["validation"]] == ["vri"]
    assert [m["type"] for m in claims.assurance["verification"]] == ["bvr"]
    assert claims.derived == {"age_at_least": 18}
    # No personal data: nothing read from the document is in the receipt.
    token = Receipt.objects.get(verification=verification).jws
    payload = base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    for field in ("given_names", "surname", "birth_date", "document_number"):
        assert field not in payload


def test_a_forced_test_mode_receipt_is_refused_unless_allowed(tenant: Tenant, api: APIClient) -> None:
    """A test key forces "verified" without any document: its receipt must not pass as a live one."""
    forced = decided(tenant, "verified", subject="anyone")  # two random pictures, outcome forced
    assert forced.status == "verified" and forced.livemode is False
    token = Receipt.objects.get(verification=forced).jws
    with pytest.raises(ReceiptVerificationError) as refused:
        receipt_verify(token, jwks(api))
    assert refused.value.code == "receipt_test_mode"
    claims = receipt_verify(token, jwks(api), allow_test=True, tenant_id=str(tenant.id))
    assert claims.livemode is False and claims.outcome == "verified"
    live = Receipt.objects.get(verification=verified(tenant)).jws
    assert receipt_verify(live, jwks(api), tenant_id=str(tenant.id)).livemode is True
    with pytest.raises(ReceiptVerificationError) as foreign:
        receipt_verify(live, jwks(api), tenant_id=str(uuid.uuid4()))
    assert foreign.value.code == "receipt_wrong_tenant"
