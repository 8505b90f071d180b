"""Test and live data never mix (issue #6, item 8): subject rights, duplicate detection, review queue."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.affiliation import Signer
from tests.api.test_test_mode import test_api  # noqa: F401 - the test-mode key fixture
from tests.reviewing import make_reviewer
from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.faces import PEOPLE
from tests.verification.test_affiliation import open_affiliation, org, signer, submit_token  # noqa: F401
from tests.verification.test_retention import verified
from verification.models import ConfirmationRequest, Organization, Status, Tenant, Verification
from verification.review_selectors import review_case_detail, review_queue
from verification.services.documents import document_upload
from verification.services.processing import verification_process
from verification.services.review import QueueFilters, review_claim_next
from verification.services.review_queue import review_queue_sync
from verification.services.verifications import verification_create, verification_submit
from verification.services.webhooks import webhook_endpoint_create
from verification.state_machine import transition

pytestmark = pytest.mark.django_db


def test_a_test_key_neither_exports_nor_erases_live_subjects(
    api: APIClient,
    test_api: APIClient,  # noqa: F811
    tenant: Tenant,
) -> None:
    live = verified(tenant)  # subject "seller-9", live mode
    exported = test_api.get("/v1/subjects/seller-9/export?include_documents=true")
    assert exported.status_code == 404, exported.content
    assert exported.json()["error"]["code"] == "subject_not_found"
    erased = test_api.post("/v1/subjects/seller-9/erase")
    assert erased.status_code == 404
    assert Verification.objects.get(pk=live.pk).status == Status.VERIFIED
    # A test verification of the same subject is the test key's to export and erase, and only it.
    test = test_api.post("/v1/verifications", {"subject": "seller-9", "type": "document"}).json()
    body = test_api.get("/v1/subjects/seller-9/export").json()
    assert [v["id"] for v in body["verifications"]] == [test["id"]]
    assert test_api.post("/v1/subjects/seller-9/erase").json()["redacted"] == [test["id"]]
    assert Verification.objects.get(pk=live.pk).status == Status.VERIFIED
    assert [v["id"] for v in api.get("/v1/subjects/seller-9/export").json()["verifications"]] == [
        str(live.id)
    ]


def _duplicate(tenant: Tenant, *, subject: str, livemode: bool) -> bool:
    """Process a verification of the specimen passport; was it flagged as a duplicate identity?"""
    verification, _ = verification_create(tenant=tenant, subject=subject, type="document", livemode=livemode)
    document_upload(verification=verification, kind="id_front", data=passport_jpeg(face=PEOPLE[0], seed=4))
    document_upload(verification=verification, kind="selfie", data=selfie_jpeg(PEOPLE[0]))
    verification_submit(verification=verification)
    verification_process(verification_id=str(verification.id))
    checks = Verification.objects.get(pk=verification.pk).checks
    return any("duplicate_identity" in c["reasons"] for c in checks)


def test_a_document_used_in_test_mode_is_no_duplicate_of_a_live_one(tenant: Tenant) -> None:
    verified(tenant)  # live, subject "seller-9", this passport
    # The tenant's integration test uses the same specimen passport for another test user: the live
    # fingerprint must not reject it, nor may the test one reject a later live verification.
    assert not _duplicate(tenant, subject="test-user", livemode=False)
    assert _duplicate(tenant, subject="test-user-2", livemode=False)  # within test mode it is one
    assert _duplicate(tenant, subject="seller-10", livemode=True)  # and within live mode


def _needs_review(tenant: Tenant, *, subject: str, livemode: bool) -> Verification:
    verification, _ = verification_create(tenant=tenant, subject=subject, type="document", livemode=livemode)
    transition(verification, Status.PROCESSING)
    transition(verification, Status.NEEDS_REVIEW)
    verification.save(update_fields=["status"])
    review_queue_sync(verification=verification)
    return verification


def test_test_mode_cases_are_a_review_queue_of_their_own(tenant: Tenant) -> None:
    reviewer = make_reviewer("operator-1", role="reviewer").reviewer
    live = _needs_review(tenant, subject="seller-1", livemode=True)
    test = _needs_review(tenant, subject="seller-1", livemode=False)
    live_queue = list(review_queue(reviewer=reviewer, filters=QueueFilters()))
    assert [c.verification_id for c in live_queue] == [live.id]
    test_queue = list(review_queue(reviewer=reviewer, filters=QueueFilters(livemode=False)))
    assert [c.verification_id for c in test_queue] == [test.id]
    # The same subject's earlier attempts shown to a reviewer stay within the mode too.
    assert review_case_detail(case=live_queue[0]).earlier_attempts == []


def test_the_endpoint_limit_counts_each_mode_apart(tenant: Tenant, settings: object) -> None:
    settings.WEBHOOK_MAX_ENDPOINTS = 1  # type: ignore[attr-defined]
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # type: ignore[attr-defined]
    for livemode in (True, False):
        webhook_endpoint_create(
            tenant=tenant,
            livemode=livemode,
            url="http://127.0.0.1:9/hook",
            enabled_events=["*"],
            actor="test",
        )


def test_test_mode_affiliation_stays_in_test_mode(
    api: APIClient,
    test_api: APIClient,  # noqa: F811
    org: Organization,  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    # A test key must not put a request in front of a real organisation's officers or endpoint.
    test_id, phone = open_affiliation(test_api, "member-9")
    refused = phone.post(
        f"/v1/verifications/{test_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-1"},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "test_mode_only"
    assert not ConfirmationRequest.objects.exists()
    # An attestation used in test mode is no reuse of the same card in live mode (nor the reverse).
    token = signer.token(str(org.id), jti="shared-card")
    assert submit_token(test_api, token, subject="test-member").status == Status.VERIFIED
    assert submit_token(api, token, subject="member-1").status == Status.VERIFIED
    assert submit_token(api, token, subject="member-2").status == Status.NEEDS_REVIEW  # within live


def test_claiming_takes_from_the_chosen_mode_only(tenant: Tenant) -> None:
    reviewer = make_reviewer("operator-2", role="reviewer").reviewer
    test = _needs_review(tenant, subject="seller-2", livemode=False)
    assert review_claim_next(reviewer=reviewer, filters=QueueFilters()) is None  # the live queue is empty
    claimed = review_claim_next(reviewer=reviewer, filters=QueueFilters(livemode=False))
    assert claimed is not None and claimed.verification_id == test.id
