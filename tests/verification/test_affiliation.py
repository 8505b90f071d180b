"""Affiliation verifications through the API and the services, on real Postgres and moto's S3.

The worker's run is called directly here (tests/workers/test_affiliation_e2e.py drives a real
worker); signatures, sealing and storage are all real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.affiliation import COMMUNITY, MEMBER_REF, NAME, Signer, card_photo, new_signer
from tests.workers.test_affiliation_e2e import OrgEndpoint
from verification.crypto import seal
from verification.errors import Forbidden
from verification.models import (
    Affiliation,
    AttestationRevocation,
    AttestationSubmission,
    AuditRecord,
    ConfirmationRequest,
    Document,
    IdempotencyRecord,
    ObjectDeletion,
    Organization,
    ReviewCase,
    ReviewState,
    Status,
    Tenant,
    Verification,
)
from verification.services.affiliation import confirmation_answer, confirmation_deliver, confirmations_expire
from verification.services.organizations import (
    organization_create,
    organization_credential_create,
    organization_key_add,
    organization_key_revoke,
    organization_set_status,
)
from verification.services.processing import verification_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def signer() -> Signer:
    return new_signer("2026-01")


@pytest.fixture
def org(signer: Signer) -> Organization:
    organization, _ = organization_create(slug="jamat-london", name="Jamat London", communities=[COMMUNITY])
    organization_key_add(
        organization=organization,
        kid=signer.kid,
        public_key=signer.public_raw,
        valid_from=timezone.now() - timedelta(days=30),
    )
    return organization


@pytest.fixture
def org_api(org: Organization) -> APIClient:
    _, token = organization_credential_create(organization=org, name="officers")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def open_affiliation(api: APIClient, subject: str = "member-1") -> tuple[str, APIClient]:
    created = api.post("/v1/verifications", {"subject": subject, "type": "affiliation"}, format="json")
    assert created.status_code == 201, created.content
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {created.json()['client_secret']}")
    return created.json()["id"], phone


def submit_token(api: APIClient, token: str, subject: str = "member-1") -> Verification:
    verification_id, phone = open_affiliation(api, subject)
    response = phone.post(f"/v1/verifications/{verification_id}/attestation", {"token": token}, format="json")
    assert response.status_code == 202, response.content
    assert phone.post(f"/v1/verifications/{verification_id}/submit").status_code == 202
    verification_process(verification_id=verification_id)
    return Verification.objects.get(pk=verification_id)


def codes(verification: Verification) -> set[str]:
    return {code for check in verification.checks for code in check["reasons"]}


def test_a_valid_attestation_verifies_and_keeps_only_the_listed_fields(
    api: APIClient, org: Organization, signer: Signer
) -> None:
    verification = submit_token(api, signer.token(str(org.id), jti="card-1"))
    assert verification.status == Status.VERIFIED, verification.checks
    affiliation = Affiliation.objects.get(verification=verification)
    assert (affiliation.organization_id, affiliation.community) == (org.id, COMMUNITY)
    assert affiliation.attestation_expires_at is not None and len(affiliation.jti_hash) == 64
    assert verification.derived["affiliation"]["organization"] == "jamat-london"
    body = api.get(f"/v1/verifications/{verification.id}").json()
    assert body["type"] == "affiliation" and body["status"] == "verified"
    assert body["documents_deleted_at"] is not None


@pytest.mark.parametrize(
    ("mutate", "expected_status", "code"),
    [
        (lambda s, o: s.token(o, community="elsewhere"), Status.REJECTED, "organization_not_authorized"),
        (lambda s, o: new_signer(s.kid).token(o), Status.REJECTED, "attestation_invalid_signature"),
        (
            lambda s, o: s.token(o, issued_at=timezone.now() - timedelta(days=20), valid=timedelta(days=1)),
            Status.REQUIRES_INPUT,
            "attestation_expired",
        ),
    ],
)
def test_bad_attestations_get_their_codes(
    api: APIClient, org: Organization, signer: Signer, mutate: Any, expected_status: str, code: str
) -> None:
    verification = submit_token(api, mutate(signer, str(org.id)))
    assert verification.status == expected_status
    assert code in codes(verification)
    assert not AttestationSubmission.objects.filter(verification=verification).exists()


def _unsigned(organization_id: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"2026-01"}').rstrip(b"=").decode()
    claims: dict[str, object] = {
        "iss": organization_id,
        "community": COMMUNITY,
        "name": NAME,
        "member_ref": MEMBER_REF,
    }
    claims |= {"iat": 1_800_000_000, "exp": 1_900_000_000, "jti": "j"}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}."


@pytest.mark.parametrize(
    "make",
    [
        lambda s, o: "garbage",
        lambda s, o: "a.b.c",
        lambda s, o: s.token(o) + "x" * 5000,  # huge
        lambda s, o: s.token(o, member_ref=""),  # a claim missing
        lambda s, o: _unsigned(o),  # alg none
    ],
)
def test_a_token_that_cannot_be_an_attestation_is_a_400_and_costs_no_attempt(
    api: APIClient, org: Organization, signer: Signer, make: Any
) -> None:
    verification_id, phone = open_affiliation(api)
    response = phone.post(
        f"/v1/verifications/{verification_id}/attestation",
        {"token": make(signer, str(org.id))},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "attestation_unreadable"
    assert not AttestationSubmission.objects.filter(verification_id=verification_id).exists()
    verification = Verification.objects.get(pk=verification_id)
    assert (verification.status, verification.submissions) == (Status.REQUIRES_INPUT, 0)


def test_a_key_of_one_organisation_cannot_vouch_for_another(
    api: APIClient, org: Organization, signer: Signer
) -> None:
    """`kid` is looked up under the claimed issuer: org A's key, with a kid org B also uses, does not
    make A's token B's."""
    other, _ = organization_create(slug="council-b", name="Council B", communities=[COMMUNITY])
    theirs = new_signer(signer.kid)  # the same kid name, another key pair
    organization_key_add(
        organization=other,
        kid=theirs.kid,
        public_key=theirs.public_raw,
        valid_from=timezone.now() - timedelta(days=30),
    )
    forged = submit_token(api, signer.token(str(other.id)), subject="member-x")
    assert forged.status == Status.REJECTED and codes(forged) == {"attestation_invalid_signature"}
    assert not Affiliation.objects.filter(verification=forged).exists()
    genuine = submit_token(api, theirs.token(str(other.id)), subject="member-y")
    assert genuine.status == Status.VERIFIED
    assert Affiliation.objects.get(verification=genuine).organization_id == other.id


def test_a_suspended_organisation_cannot_vouch(api: APIClient, org: Organization, signer: Signer) -> None:
    organization_set_status(organization=org, status="suspended")
    verification = submit_token(api, signer.token(str(org.id)))
    assert verification.status == Status.REJECTED
    assert codes(verification) == {"organization_not_authorized"}


def test_the_qr_photo_route(api: APIClient, org: Organization, signer: Signer, s3: Any, document_bucket: str,
                            django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    verification_id, phone = open_affiliation(api)
    photo = card_photo(signer.token(str(org.id)))
    uploaded = phone.post(
        f"/v1/verifications/{verification_id}/files",
        {"kind": "attestation_qr", "file": SimpleUploadedFile("card.jpg", photo)},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    assert phone.post(f"/v1/verifications/{verification_id}/submit").status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        assert verification_process(verification_id=verification_id) == Status.VERIFIED
    assert not Document.objects.filter(verification_id=verification_id).exists()
    assert not ObjectDeletion.objects.exists()
    tenant_id = Verification.objects.get(pk=verification_id).tenant_id
    listed = s3.list_objects_v2(Bucket=document_bucket, Prefix=f"{tenant_id}/{verification_id}/")
    assert listed.get("KeyCount", 0) == 0


def test_submitting_without_an_attestation_is_refused(api: APIClient) -> None:
    verification_id, phone = open_affiliation(api)
    response = phone.post(f"/v1/verifications/{verification_id}/submit")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_files"


def test_one_attestation_used_by_two_subjects_goes_to_review(
    api: APIClient, org: Organization, signer: Signer
) -> None:
    token = signer.token(str(org.id), jti="shared-card")
    first = submit_token(api, token, subject="member-1")
    assert first.status == Status.VERIFIED
    again = submit_token(api, token, subject="member-1")  # the same member again is fine
    assert again.status == Status.VERIFIED
    second = submit_token(api, token, subject="member-2")
    assert second.status == Status.NEEDS_REVIEW
    assert codes(second) == {"attestation_reused"}
    assert ReviewCase.objects.filter(verification=second, state=ReviewState.OPEN).exists()


def test_one_card_at_two_tenants_is_not_linkable_yet_a_revocation_reaches_both(
    api: APIClient, other_api: APIClient, org: Organization, signer: Signer, org_api: APIClient
) -> None:
    """The kept jti hash is per tenant (like identity fingerprints): the same member's card at two
    marketplaces leaves two unrelated hashes, is not `attestation_reused`, and is still revoked at both."""
    token = signer.token(str(org.id), jti="card-two-markets")
    here = submit_token(api, token, subject="member-1")
    there = submit_token(other_api, token, subject="member-1")
    assert here.status == there.status == Status.VERIFIED
    digests = set(Affiliation.objects.values_list("jti_hash", flat=True))
    assert len(digests) == 2
    published = org_api.post("/v1/org/revocations", {"jti": "card-two-markets"}, format="json")
    assert published.json()["flagged_verifications"] == 2
    assert set(Verification.objects.filter(type="affiliation").values_list("status", flat=True)) == {
        Status.NEEDS_REVIEW
    }


def test_a_revocation_before_use_rejects(
    api: APIClient, org: Organization, signer: Signer, org_api: APIClient
) -> None:
    published = org_api.post("/v1/org/revocations", {"jti": "card-9", "reason": "lost"}, format="json")
    assert published.status_code == 201, published.content
    assert published.json()["flagged_verifications"] == 0
    verification = submit_token(api, signer.token(str(org.id), jti="card-9"))
    assert verification.status == Status.REJECTED
    assert codes(verification) == {"attestation_revoked"}


def test_a_revocation_after_use_flags_the_verification_for_review(
    api: APIClient, org: Organization, signer: Signer, org_api: APIClient
) -> None:
    verification = submit_token(api, signer.token(str(org.id), jti="card-7"))
    assert verification.status == Status.VERIFIED
    published = org_api.post("/v1/org/revocations", {"jti": "card-7"}, format="json")
    assert published.status_code == 201
    assert published.json()["flagged_verifications"] == 1
    verification.refresh_from_db()
    assert verification.status == Status.NEEDS_REVIEW
    assert "attestation_revoked" in codes(verification)
    case = ReviewCase.objects.get(verification=verification)
    assert case.state == ReviewState.OPEN and "attestation_revoked" in case.codes
    # Publishing again changes nothing.
    assert org_api.post("/v1/org/revocations", {"jti": "card-7"}, format="json").json() == {
        **published.json(),
        "created": False,
        "flagged_verifications": 0,
    }


def test_revoking_a_key_flags_what_it_vouched_for_and_rejects_what_comes_next(
    api: APIClient, org: Organization, signer: Signer
) -> None:
    other = new_signer("2026-02")
    organization_key_add(organization=org, kid=other.kid, public_key=other.public_raw)
    by_revoked = submit_token(api, signer.token(str(org.id), jti="card-k1"), subject="member-k1")
    by_other = submit_token(api, other.token(str(org.id), jti="card-k2"), subject="member-k2")
    assert by_revoked.status == by_other.status == Status.VERIFIED
    assert Affiliation.objects.get(verification=by_revoked).kid == signer.kid

    flagged = organization_key_revoke(organization=org, kid=signer.kid)
    assert flagged == [str(by_revoked.id)]
    # Again (as after an interrupted run): no error, nothing flagged twice, one audit record.
    assert organization_key_revoke(organization=org, kid=signer.kid) == []
    assert AuditRecord.objects.filter(action="organization.key_revoked", target_id=str(org.id)).count() == 1
    by_revoked.refresh_from_db()
    by_other.refresh_from_db()
    assert by_revoked.status == Status.NEEDS_REVIEW and "attestation_revoked" in codes(by_revoked)
    assert ReviewCase.objects.get(verification=by_revoked).state == ReviewState.OPEN
    assert by_other.status == Status.VERIFIED  # another key of the same organisation is untouched
    # A card the revoked key signed, backdated or not, is refused from now on.
    later = submit_token(api, signer.token(str(org.id), issued_at=timezone.now() - timedelta(days=5)), "k3")
    assert later.status == Status.REJECTED and codes(later) == {"attestation_invalid_signature"}


def _verified_document(tenant: Tenant, subject: str, given: str, surname: str) -> Verification:
    now = timezone.now()
    verification = Verification.objects.create(
        tenant=tenant,
        subject=subject,
        type="document",
        status=Status.VERIFIED,
        client_secret_hash=f"doc-{subject}-{given}",
        client_secret_expires_at=now,
        documents_expire_at=now + timedelta(days=1),
        decided_at=now,
    )
    sealed = seal(
        json.dumps({"given_names": given, "surname": surname}).encode(),
        context=verification.id.bytes + b"outputs",
    )
    verification.outputs_ciphertext = sealed.ciphertext
    verification.outputs_key_id = sealed.key_id
    verification.outputs_wrapped_key = sealed.wrapped_key
    verification.save()
    return verification


def test_a_revocation_reason_is_a_code_never_free_text(org: Organization, org_api: APIClient) -> None:
    """The reason is stored and audited: an officer's prose ("Amina Shah left") must not be."""
    prose = org_api.post("/v1/org/revocations", {"jti": "card-10", "reason": f"{NAME} left"}, format="json")
    assert prose.status_code == 400 and prose.json()["error"]["code"] == "invalid_reason"
    assert not AttestationRevocation.objects.exists()
    assert NAME not in _all_rows_text()
    coded = org_api.post(
        "/v1/org/revocations", {"jti": "card-10", "reason": "membership_ended"}, format="json"
    )
    assert coded.status_code == 201
    assert AttestationRevocation.objects.get().reason == "membership_ended"


def test_the_name_is_cross_checked_with_the_verified_document(
    api: APIClient, tenant: Tenant, org: Organization, signer: Signer
) -> None:
    _verified_document(tenant, "member-1", "AMINA", "SHAH")
    matching = submit_token(api, signer.token(str(org.id), name="Aminah Shah"), subject="member-1")
    assert matching.status == Status.VERIFIED
    assert "attestation_name_match" in {check["name"] for check in matching.checks}

    _verified_document(tenant, "member-2", "FATIMA", "HUSSAIN")
    other = submit_token(api, signer.token(str(org.id), name="Zainab Rahman"), subject="member-2")
    assert other.status == Status.NEEDS_REVIEW
    assert codes(other) == {"attestation_name_mismatch"}


def _all_rows_text() -> str:
    """Every row of every table, as text: what a database dump would reveal."""
    dump: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608 - catalogue names
            dump.extend(row for (row,) in cursor.fetchall())
    return "\n".join(dump)


def test_nothing_beyond_the_listed_fields_remains_after_the_decision(
    api: APIClient, org: Organization, signer: Signer, org_api: APIClient, s3: Any, document_bucket: str,
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    jti = "unique-card-4711"
    token = signer.token(str(org.id), jti=jti)
    with django_capture_on_commit_callbacks(execute=True):
        by_text = submit_token(api, token, subject="member-1")
        # The same attestation, photographed, by the same member (a second marketplace flow).
        verification_id, phone = open_affiliation(api, "member-1")
        phone.post(
            f"/v1/verifications/{verification_id}/files",
            {"kind": "attestation_qr", "file": SimpleUploadedFile("card.jpg", card_photo(token))},
            format="multipart",
        )
        phone.post(f"/v1/verifications/{verification_id}/submit")
        verification_process(verification_id=verification_id)
        # Route 2, answered by the organisation.
        route2_id, phone2 = open_affiliation(api, "member-3")
        phone2.post(
            f"/v1/verifications/{route2_id}/confirmation-request",
            {"organization": "jamat-london", "member_reference": MEMBER_REF},
            format="json",
        )
        pending = org_api.get("/v1/org/confirmation-requests").json()["results"]
        assert [item["member_reference"] for item in pending] == [MEMBER_REF]
        org_api.post(
            f"/v1/org/confirmation-requests/{pending[0]['id']}/answer", {"answer": "confirmed"}, format="json"
        )
    statuses = set(Verification.objects.filter(type="affiliation").values_list("status", flat=True))
    assert statuses == {Status.VERIFIED}, [
        (c, e)
        for s, c, e in Verification.objects.values_list("status", "checks", "last_error")
        if s != "verified"
    ]

    dump = _all_rows_text()
    for secret in (token, token.split(".")[1], token.split(".")[2], NAME, MEMBER_REF, jti):
        assert secret not in dump, f"found {secret[:12]}… in the database"
        assert secret not in caplog.text, f"found {secret[:12]}… in the logs"
    assert "affiliation decided" in caplog.text  # the logs were captured
    assert not AttestationSubmission.objects.exists()
    assert not Document.objects.exists() and not ObjectDeletion.objects.exists()
    tenant_id = by_text.tenant_id  # the bucket is shared by the session: look at this tenant's part
    assert s3.list_objects_v2(Bucket=document_bucket, Prefix=f"{tenant_id}/").get("KeyCount", 0) == 0
    request = ConfirmationRequest.objects.get(verification_id=route2_id)
    assert request.member_ref_ciphertext is None and request.member_ref_wrapped_key is None
    kept = list(
        Affiliation.objects.order_by("created_at").values(
            "organization__slug", "community", "attestation_expires_at", "jti_hash", "route"
        )
    )
    assert len(kept) == 3
    assert {row["organization__slug"] for row in kept} == {"jamat-london"}
    assert kept[0]["jti_hash"] == kept[1]["jti_hash"] != jti and kept[2]["jti_hash"] == ""
    assert {row["route"] for row in kept} == {"attestation", "confirmation"}
    assert by_text.documents_deleted_at is not None


def test_the_confirmation_route_denied_and_unanswered(
    api: APIClient, org: Organization, org_api: APIClient
) -> None:
    denied_id, phone = open_affiliation(api, "member-4")
    created = phone.post(
        f"/v1/verifications/{denied_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-404"},
        format="json",
    )
    assert created.status_code == 202 and created.json()["status"] == "processing"
    request = ConfirmationRequest.objects.get(verification_id=denied_id)
    answered = org_api.post(
        f"/v1/org/confirmation-requests/{request.id}/answer", {"answer": "denied"}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["state"] == "denied"
    denied = Verification.objects.get(pk=denied_id)
    assert denied.status == Status.REJECTED and codes(denied) == {"affiliation_denied"}
    again = org_api.post(
        f"/v1/org/confirmation-requests/{request.id}/answer", {"answer": "confirmed"}, format="json"
    )
    assert again.status_code == 409

    silent_id, phone = open_affiliation(api, "member-5")
    phone.post(
        f"/v1/verifications/{silent_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-500", "community": COMMUNITY},
        format="json",
    )
    assert confirmations_expire() == 0  # not due yet
    assert confirmations_expire(now=timezone.now() + timedelta(days=4)) == 1
    silent = Verification.objects.get(pk=silent_id)
    assert silent.status == Status.NEEDS_REVIEW and codes(silent) == {"confirmation_no_answer"}
    # The reviewer's approval will stand for this organisation and community: they are kept.
    assert silent.derived["affiliation"] == {
        "organization": "jamat-london",
        "community": COMMUNITY,
        "attestation_expires_at": None,
    }
    kept = Affiliation.objects.get(verification_id=silent_id)
    assert (kept.organization_id, kept.community, kept.route) == (org.id, COMMUNITY, "confirmation")
    expired = ConfirmationRequest.objects.get(verification_id=silent_id)
    assert expired.state == "expired" and expired.member_ref_ciphertext is None
    assert ReviewCase.objects.filter(verification_id=silent_id, state=ReviewState.OPEN).exists()


def test_a_confirmation_the_tenants_policy_sends_to_review_is_not_decided(
    api: APIClient, tenant: Tenant, org: Organization, org_api: APIClient
) -> None:
    """A tenant requiring a check the route does not run: confirmed goes to a person, and the
    verification is not marked decided (its retention starts at the reviewer's decision)."""
    tenant.policy = {"required_checks": ["provider_document"]}
    tenant.save(update_fields=["policy"])
    verification_id, phone = open_affiliation(api, "member-policy")
    phone.post(
        f"/v1/verifications/{verification_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-POL"},
        format="json",
    )
    request = ConfirmationRequest.objects.get(verification_id=verification_id)
    answered = org_api.post(
        f"/v1/org/confirmation-requests/{request.id}/answer", {"answer": "confirmed"}, format="json"
    )
    assert answered.status_code == 200
    verification = Verification.objects.get(pk=verification_id)
    assert verification.status == Status.NEEDS_REVIEW and verification.decided_at is None
    assert verification.documents_deleted_at is not None  # the member reference went all the same


def test_an_answer_after_the_deadline_is_refused_before_the_beat_expires_it(
    api: APIClient, org: Organization, org_api: APIClient
) -> None:
    verification_id, phone = open_affiliation(api, "member-late")
    phone.post(
        f"/v1/verifications/{verification_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-LATE"},
        format="json",
    )
    request = ConfirmationRequest.objects.get(verification_id=verification_id)
    ConfirmationRequest.objects.filter(pk=request.pk).update(deadline=timezone.now() - timedelta(seconds=5))
    late = org_api.post(
        f"/v1/org/confirmation-requests/{request.id}/answer", {"answer": "confirmed"}, format="json"
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "confirmation_closed"
    assert Verification.objects.get(pk=verification_id).status == Status.PROCESSING
    assert confirmations_expire() == 1
    assert Verification.objects.get(pk=verification_id).status == Status.NEEDS_REVIEW


def test_a_suspended_organisation_is_sent_nothing_and_its_answer_does_not_count(api: APIClient) -> None:
    endpoint = OrgEndpoint()
    try:
        endpoint.reply = {"answer": "confirmed"}
        organization, secret = organization_create(
            slug="council-susp", name="Council", communities=[COMMUNITY], webhook_url=endpoint.url
        )
        assert secret is not None
        endpoint.secret = secret
        verification_id, phone = open_affiliation(api, "member-susp")
        asked = phone.post(
            f"/v1/verifications/{verification_id}/confirmation-request",
            {"organization": "council-susp", "member_reference": "MBR-SUSP"},
            format="json",
        )
        assert asked.status_code == 202
        request = ConfirmationRequest.objects.get(verification_id=verification_id)
        organization_set_status(organization=organization, status="suspended")
        assert confirmation_deliver(request_id=request.id) == "skipped"
        assert endpoint.received == []  # no member reference went to the suspended organisation
        with pytest.raises(Forbidden):
            confirmation_answer(
                organization=organization, request_id=request.id, answer="confirmed", actor="org_credential:x"
            )
        assert Verification.objects.get(pk=verification_id).status == Status.PROCESSING
        # Active again, the same request goes out and the endpoint's reply decides.
        organization_set_status(organization=organization, status="active")
        assert confirmation_deliver(request_id=request.id) == "answered"
        assert endpoint.received[0]["valid"]
        assert Verification.objects.get(pk=verification_id).status == Status.VERIFIED
    finally:
        endpoint.server.shutdown()


def test_org_api_authentication_and_scoping(api: APIClient, org: Organization, org_api: APIClient) -> None:
    assert APIClient().get("/v1/org/confirmation-requests").status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer tqo_not-a-real-token")
    response = wrong.get("/v1/org/confirmation-requests")
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"
    # A tenant's API key is not an organisation credential.
    assert api.get("/v1/org/confirmation-requests").status_code == 401

    other, _ = organization_create(slug="council-north", name="Council North", communities=["north"])
    _, other_token = organization_credential_create(organization=other)
    other_api = APIClient()
    other_api.credentials(HTTP_AUTHORIZATION=f"Bearer {other_token}")
    verification_id, phone = open_affiliation(api, "member-6")
    phone.post(
        f"/v1/verifications/{verification_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-600"},
        format="json",
    )
    request = ConfirmationRequest.objects.get(verification_id=verification_id)
    assert other_api.get("/v1/org/confirmation-requests").json() == {"results": []}
    stolen = other_api.post(
        f"/v1/org/confirmation-requests/{request.id}/answer", {"answer": "confirmed"}, format="json"
    )
    assert stolen.status_code == 404
    malformed = other_api.post(
        "/v1/org/confirmation-requests/not-a-uuid/answer", {"answer": "denied"}, format="json"
    )
    assert malformed.status_code == 404
    assert malformed.json()["error"]["code"] == "confirmation_request_not_found"
    organization_set_status(organization=org, status="suspended")
    assert org_api.get("/v1/org/confirmation-requests").status_code == 403


def test_confirmation_request_input_errors(api: APIClient, org: Organization) -> None:
    verification_id, phone = open_affiliation(api)
    url = f"/v1/verifications/{verification_id}/confirmation-request"
    unknown = phone.post(url, {"organization": "nobody", "member_reference": "x"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "organization_not_found"
    elsewhere = phone.post(
        url,
        {"organization": "jamat-london", "member_reference": "x", "community": "elsewhere"},
        format="json",
    )
    assert elsewhere.status_code == 400 and elsewhere.json()["error"]["code"] == "organization_not_authorized"
    document_id = api.post("/v1/verifications", {"subject": "s", "type": "document"}, format="json").json()[
        "id"
    ]
    wrong_type = api.post(
        f"/v1/verifications/{document_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "x"},
        format="json",
    )
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["code"] == "wrong_verification_type"


def test_redaction_erases_the_affiliation_and_any_pending_input(
    api: APIClient, org: Organization, signer: Signer
) -> None:
    verified = submit_token(api, signer.token(str(org.id)))
    pending_id, phone = open_affiliation(api, "member-1")
    phone.post(
        f"/v1/verifications/{pending_id}/attestation", {"token": signer.token(str(org.id))}, format="json"
    )
    asked_id, phone = open_affiliation(api, "member-1")
    phone.post(
        f"/v1/verifications/{asked_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": MEMBER_REF},
        format="json",
    )
    assert api.post("/v1/subjects/member-1/erase").status_code == 200
    assert not Affiliation.objects.filter(verification=verified).exists()
    assert not AttestationSubmission.objects.exists()
    request = ConfirmationRequest.objects.get(verification_id=asked_id)
    assert request.state == "expired" and request.member_ref_ciphertext is None
    assert MEMBER_REF not in _all_rows_text()


def test_the_org_management_command(signer: Signer, tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    def org(*args: str) -> Any:
        out = StringIO()
        call_command("org", *args, stdout=out)
        return json.loads(out.getvalue())

    created = org(
        "create", "jamat-north", "--name", "Jamat North", "--community", "north", "--community", "leeds"
    )
    jwk = json.dumps({"kty": "OKP", "crv": "Ed25519", "x": base64url(signer.public_raw), "kid": signer.kid})
    key_file = tmp_path / "pub.jwk"
    key_file.write_text(jwk)
    assert (
        org("add-key", "jamat-north", "--kid", signer.kid, "--public-key", f"@{key_file}")["kid"]
        == signer.kid
    )
    successor = new_signer("2027-01")
    org("rotate-key", created["id"], "--kid", successor.kid, "--public-key", base64url(successor.public_raw))
    token = org("create-credential", "jamat-north")["token"]
    assert token.startswith("tqo_")
    org("suspend", "jamat-north")
    listed = org("list")
    assert listed[0]["status"] == "suspended" and listed[0]["communities"] == ["leeds", "north"]
    keys = {key["kid"]: key for key in listed[0]["keys"]}
    assert keys[signer.kid]["valid_until"] is not None and keys[successor.kid]["valid_until"] is None
    assert listed[0]["credentials"] == 1
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="invalid_public_key"):
        org(
            "add-key",
            "jamat-north",
            "--kid",
            "bad",
            "--public-key",
            '{"kty":"OKP","crv":"Ed25519","x":"AA","d":"x"}',
        )


def base64url(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_admin_changes_are_audited_and_cannot_revoke_a_key_around_the_flagging(
    org: Organization, signer: Signer
) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from verification.models import AuditRecord, OrganizationKey

    admin = User.objects.create_superuser("operator", password="x" * 16)
    browser = Client()
    browser.force_login(admin)
    key = OrganizationKey.objects.get(organization=org)
    response = browser.post(
        f"/admin/verification/organization/{org.id}/change/",
        {
            "slug": org.slug,
            "name": org.name,
            "communities": json.dumps(org.communities),
            "status": "suspended",
            "keys-TOTAL_FORMS": "1",
            "keys-INITIAL_FORMS": "1",
            "keys-MIN_NUM_FORMS": "0",
            "keys-MAX_NUM_FORMS": "1000",
            "keys-0-id": str(key.id),
            "keys-0-organization": str(org.id),
            "keys-0-valid_from_0": key.valid_from.strftime("%Y-%m-%d"),
            "keys-0-valid_from_1": key.valid_from.strftime("%H:%M:%S"),
            "keys-0-valid_until_0": "2030-01-01",
            "keys-0-valid_until_1": "00:00:00",
            "keys-0-revoked_at_0": "2026-01-01",  # read-only: ignored
            "keys-0-revoked_at_1": "00:00:00",
            "credentials-TOTAL_FORMS": "0",
            "credentials-INITIAL_FORMS": "0",
            "credentials-MIN_NUM_FORMS": "0",
            "credentials-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    org.refresh_from_db()
    key.refresh_from_db()
    assert org.status == "suspended" and key.valid_until is not None and key.revoked_at is None
    records = AuditRecord.objects.filter(action="organization.admin_changed", target_id=str(org.id))
    changes = [change for record in records for change in record.details["changes"]]
    assert "status" in changes
    assert f"OrganizationKey:{key.id}:valid_until" in changes
    assert {record.actor for record in records} == {f"admin:{admin.pk}"}


def test_file_kinds_belong_to_their_verification_type(api: APIClient) -> None:
    from tests.affiliation import card_photo as photo_of

    picture = photo_of("not a token")
    verification_id, phone = open_affiliation(api)
    refused = phone.post(
        f"/v1/verifications/{verification_id}/files",
        {"kind": "selfie", "file": SimpleUploadedFile("s.jpg", picture)},
        format="multipart",
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "file_kind_not_allowed"
    document_id = api.post("/v1/verifications", {"subject": "s", "type": "document"}, format="json").json()[
        "id"
    ]
    refused = api.post(
        f"/v1/verifications/{document_id}/files",
        {"kind": "attestation_qr", "file": SimpleUploadedFile("c.jpg", picture)},
        format="multipart",
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "file_kind_not_allowed"


def test_a_verification_waiting_for_its_organisation_is_not_requeued_as_stuck(
    api: APIClient, org: Organization
) -> None:
    from verification.selectors import verifications_stuck_in_processing

    verification_id, phone = open_affiliation(api)
    phone.post(
        f"/v1/verifications/{verification_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-1"},
        format="json",
    )
    Verification.objects.filter(pk=verification_id).update(submitted_at=timezone.now() - timedelta(hours=1))
    assert verifications_stuck_in_processing(older_than=timedelta(minutes=10)) == []
    assert verification_process(verification_id=verification_id) is None  # a stray run changes nothing
    assert Verification.objects.get(pk=verification_id).status == Status.PROCESSING


def test_metrics_count_confirmation_requests(api: APIClient, org: Organization) -> None:
    verification_id, phone = open_affiliation(api)
    phone.post(
        f"/v1/verifications/{verification_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-1"},
        format="json",
    )
    text = APIClient().get("/metrics").content.decode()
    assert 'tasdeeq_confirmation_requests{state="pending"} 1.0' in text
    assert "tasdeeq_confirmation_requests_overdue 0.0" in text
    assert "MBR-1" not in text


def test_cancel_and_abandonment_leave_no_token(api: APIClient, org: Organization, signer: Signer) -> None:
    from verification.services.affiliation import attestation_submissions_expire

    canceled_id, phone = open_affiliation(api, "member-1")
    phone.post(
        f"/v1/verifications/{canceled_id}/attestation", {"token": signer.token(str(org.id))}, format="json"
    )
    assert api.post(f"/v1/verifications/{canceled_id}/cancel").status_code == 200
    assert not AttestationSubmission.objects.filter(verification_id=canceled_id).exists()

    abandoned_id, phone = open_affiliation(api, "member-2")
    phone.post(
        f"/v1/verifications/{abandoned_id}/attestation", {"token": signer.token(str(org.id))}, format="json"
    )
    assert attestation_submissions_expire() == 0
    assert attestation_submissions_expire(now=timezone.now() + timedelta(days=31)) == 1
    assert not AttestationSubmission.objects.exists()


def test_verify_retention_finds_member_input_left_after_a_decision(
    api: APIClient, org: Organization, signer: Signer
) -> None:
    from verification.retention_scan import retention_scan

    verification = submit_token(api, signer.token(str(org.id)))
    clean = retention_scan(now=timezone.now(), skip=frozenset({"bucket", "broker", "tempdir"}))
    assert not [f for f in clean.findings if "after_decision" in f.kind]
    # Put a token back on the decided verification, as a buggy decision path would leave it.
    sealed = seal(b"token", context=verification.id.bytes + b"attestation")
    AttestationSubmission.objects.create(
        verification=verification,
        ciphertext=sealed.ciphertext,
        key_id=sealed.key_id,
        wrapped_key=sealed.wrapped_key,
    )
    report = retention_scan(now=timezone.now(), skip=frozenset({"bucket", "broker", "tempdir"}))
    assert [(f.kind, f.ref) for f in report.findings if "after_decision" in f.kind] == [
        ("attestation_token_after_decision", str(verification.id))
    ]


def _kept(key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(key_hash=hashlib.sha256(key.encode()).hexdigest()).first()


def test_an_organisations_kept_answers_go_at_the_decision_and_at_redaction(
    api: APIClient, org: Organization, org_api: APIClient
) -> None:
    verification_id, phone = open_affiliation(api, "member-idem")
    created = phone.post(
        f"/v1/verifications/{verification_id}/confirmation-request",
        {"organization": "jamat-london", "member_reference": "MBR-IDEM-7"},
        format="json",
    )
    assert created.status_code == 202
    request = ConfirmationRequest.objects.get(verification_id=verification_id)
    url = f"/v1/org/confirmation-requests/{request.id}/answer"
    # A refused answer is kept for its key, linked to the request's verification ...
    refused = org_api.post(url, {"answer": "maybe"}, format="json", HTTP_IDEMPOTENCY_KEY="org-1")
    assert refused.status_code == 400
    early = _kept("org-1")
    assert early is not None and str(early.verification_ref) == verification_id
    # ... and goes at the decision, when the member's input is minimised.
    answered = org_api.post(url, {"answer": "confirmed"}, format="json", HTTP_IDEMPOTENCY_KEY="org-2")
    assert answered.status_code == 200 and answered.json()["state"] == "confirmed"
    assert _kept("org-1") is None
    # The deciding answer is kept (a retry gets it again) without the member reference, linked.
    deciding = _kept("org-2")
    assert deciding is not None and str(deciding.verification_ref) == verification_id
    replay = org_api.post(url, {"answer": "confirmed"}, format="json", HTTP_IDEMPOTENCY_KEY="org-2")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["member_reference"] is None
    assert b"MBR-IDEM-7" not in replay.content
    # Redacting the verification deletes it.
    assert api.post(f"/v1/verifications/{verification_id}/redact").status_code == 200
    assert _kept("org-2") is None
