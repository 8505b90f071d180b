"""Per-tenant provider modes in the pipeline: required, advisory, fallback; unavailable providers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kyc.results import CheckResult, Outcome, inconclusive, passed
from tests.aws_standin import Fault, StandIn
from tests.providers.helpers import PERSON, passport, selfie, textract_fields
from tests.specimens.captures import selfie_jpeg
from tests.specimens.faces import PEOPLE
from verification.errors import InvalidInput
from verification.models import ProviderCall, ProviderCircuit, Status, Tenant, Verification
from verification.pipeline import PipelineResult
from verification.policy import Policy, decide
from verification.services.providers import run_provider_checks
from verification.services.tenants import tenant_set_policy
from verification.services.verifications import verification_create

pytestmark = pytest.mark.django_db

IDENTITY = {
    "document_number": PERSON.document_number,
    "surname": PERSON.surname,
    "given_names": PERSON.given_names,
    "birth_date": PERSON.birth_date.isoformat(),
    "expiry_date": PERSON.expiry_date.isoformat(),
}


def local(face_match: CheckResult | None = None) -> PipelineResult:
    results = [
        passed("quality_id_front"),
        passed("quality_selfie"),
        passed("selfie_face"),
        passed("document_portrait"),
        face_match or passed("face_match", distance=0.3),
        CheckResult("document", Outcome.PASS, data=IDENTITY),
    ]
    return PipelineResult(results, IDENTITY)


def run(tenant: Tenant, providers: dict[str, str], base: PipelineResult) -> tuple[PipelineResult, str]:
    tenant.policy = {"providers": providers}
    verification, _ = verification_create(tenant=tenant, subject="user-1", type="document")
    policy = Policy.for_tenant(tenant)
    images = {"id_front": passport(), "selfie": selfie()}
    result = run_provider_checks(verification=verification, policy=policy, images=images, local=base)
    return result, decide(result.results, policy=policy, submissions=1).status


def names(results: list[CheckResult]) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {r.name: (r.outcome.value, r.reasons) for r in results}


def test_required_providers_decide(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.id_fields = textract_fields()
    result, status = run(tenant, {"aws_rekognition": "required", "aws_textract": "required"}, local())
    got = names(result.results)
    assert got["provider_selfie_face"] == ("pass", ())
    assert got["provider_face_match"] == ("pass", ())
    assert got["provider_document"] == ("pass", ())
    assert status == Status.VERIFIED


def test_a_required_provider_that_disagrees_with_the_mrz_sends_to_review(
    tenant: Tenant, providers_on: StandIn
) -> None:
    providers_on.id_fields = {**textract_fields(), "DOCUMENT_NUMBER": "X1234567"}
    result, status = run(tenant, {"aws_textract": "required"}, local())
    assert names(result.results)["provider_document"] == ("fail", ("provider_document_mismatch",))
    assert status == Status.NEEDS_REVIEW


def test_a_second_face_in_the_selfie_is_a_retry(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.faces = 2
    result, status = run(tenant, {"aws_rekognition": "required"}, local())
    assert names(result.results)["provider_selfie_face"] == ("fail", ("multiple_faces",))
    assert status == Status.REQUIRES_INPUT


def test_advisory_results_are_kept_but_do_not_decide(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.id_fields = {**textract_fields(), "LAST_NAME": "SOMEONE ELSE"}
    result, status = run(tenant, {"aws_textract": "advisory"}, local())
    assert "provider_document" not in names(result.results)
    assert names(result.advisory)["provider_document"] == ("fail", ("provider_document_mismatch",))
    assert status == Status.VERIFIED


def test_fallback_is_not_called_when_the_local_check_is_conclusive(
    tenant: Tenant, providers_on: StandIn
) -> None:
    result, status = run(tenant, {"aws_rekognition": "fallback"}, local())
    assert providers_on.requests["CompareFaces"] == 0
    assert status == Status.VERIFIED


def test_fallback_takes_over_an_inconclusive_local_check(tenant: Tenant, providers_on: StandIn) -> None:
    uncertain = inconclusive("face_match", "face_match_uncertain", distance=0.58)
    result, status = run(tenant, {"aws_rekognition": "fallback"}, local(uncertain))
    assert providers_on.requests["CompareFaces"] == 1  # moto, through the stand-in
    assert providers_on.requests["DetectFaces"] == 0  # a fallback asks only what it stands in for
    assert names(result.results)["provider_face_match"] == ("pass", ())
    assert "face_match" not in names(result.results)
    assert names(result.advisory)["face_match"] == ("inconclusive", ("face_match_uncertain",))
    assert status == Status.VERIFIED


def test_an_open_circuit_routes_the_fallback_to_review(tenant: Tenant, providers_on: StandIn) -> None:
    now = timezone.now()
    ProviderCircuit.objects.create(
        provider="aws_rekognition", state="open", opened_at=now, open_until=now + timedelta(minutes=1)
    )
    uncertain = inconclusive("face_match", "face_match_uncertain", distance=0.58)
    result, status = run(tenant, {"aws_rekognition": "fallback"}, local(uncertain))
    assert providers_on.requests["CompareFaces"] == 0
    assert names(result.results)["provider_face_match"] == ("inconclusive", ("provider_unavailable",))
    assert status == Status.NEEDS_REVIEW


def test_a_failing_required_provider_sends_to_review(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.inject("AnalyzeID", *[Fault.server_error()] * 3)
    result, status = run(tenant, {"aws_textract": "required"}, local())
    assert names(result.results)["provider_document"] == ("inconclusive", ("provider_unavailable",))
    assert status == Status.NEEDS_REVIEW


def test_a_failing_advisory_provider_leaves_the_local_result(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.inject("DetectFaces", Fault.access_denied())
    result, status = run(tenant, {"aws_rekognition": "advisory"}, local())
    assert names(result.advisory)["provider_face_match"] == ("inconclusive", ("provider_unavailable",))
    assert status == Status.VERIFIED


def test_no_provider_is_asked_after_a_failed_quality_gate(tenant: Tenant, providers_on: StandIn) -> None:
    from kyc.results import failed

    base = PipelineResult([failed("quality_selfie", "image_too_blurry"), passed("quality_id_front")])
    result, status = run(tenant, {"aws_rekognition": "required"}, base)
    assert sum(providers_on.requests.values()) == 0
    assert status == Status.REQUIRES_INPUT


def _liveness_verification(tenant: Tenant, api: APIClient) -> tuple[Verification, dict[str, Any]]:
    tenant_set_policy(tenant=tenant, policy={"providers": {"aws_liveness": "required"}}, min_age=18)
    created = api.post("/v1/verifications", {"subject": "u", "type": "document"}, format="json").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created['client_secret']}")
    response = client.post(f"/v1/verifications/{created['id']}/liveness-session")
    assert response.status_code == 201, response.content
    # A new attempt (the app restarts the check) gets a new session; the newest one is read.
    again = client.post(f"/v1/verifications/{created['id']}/liveness-session")
    assert again.status_code == 201
    assert again.json()["session_id"] != response.json()["session_id"]
    return Verification.objects.get(pk=created["id"]), again.json()


@pytest.mark.parametrize(
    ("status", "confidence", "expected", "decision"),
    [
        ("SUCCEEDED", 98.5, ("pass", ()), Status.VERIFIED),
        ("SUCCEEDED", 41.0, ("fail", ("liveness_failed",)), Status.NEEDS_REVIEW),
        ("IN_PROGRESS", None, ("fail", ("liveness_not_completed",)), Status.REQUIRES_INPUT),
        ("EXPIRED", None, ("fail", ("liveness_session_expired",)), Status.REQUIRES_INPUT),
    ],
)
def test_liveness_result_and_confidence(
    tenant: Tenant,
    api: APIClient,
    providers_on: StandIn,
    status: str,
    confidence: float | None,
    expected: tuple[str, tuple[str, ...]],
    decision: str,
) -> None:
    verification, session = _liveness_verification(tenant, api)
    assert session["provider"] == "aws_liveness"
    state = providers_on.sessions[session["session_id"]]
    state.status, state.confidence = status, confidence
    state.reference = selfie() if status == "SUCCEEDED" else None  # the document holder, live
    tenant.refresh_from_db()
    policy = Policy.for_tenant(tenant)
    images = {"id_front": passport(), "selfie": selfie()}
    result = run_provider_checks(verification=verification, policy=policy, images=images, local=local())
    assert names(result.results)["provider_liveness"] == expected
    assert decide(result.results, policy=policy, submissions=1).status == decision


def test_liveness_session_is_refused_when_the_tenant_does_not_use_it(
    api: APIClient, providers_on: StandIn
) -> None:
    created = api.post("/v1/verifications", {"subject": "u", "type": "document"}, format="json").json()
    response = api.post(f"/v1/verifications/{created['id']}/liveness-session")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "liveness_not_enabled"


def test_liveness_session_when_the_provider_is_down(
    tenant: Tenant, api: APIClient, providers_on: StandIn
) -> None:
    tenant_set_policy(tenant=tenant, policy={"providers": {"aws_liveness": "required"}}, min_age=18)
    created = api.post("/v1/verifications", {"subject": "u", "type": "document"}, format="json").json()
    providers_on.inject("CreateFaceLivenessSession", *[Fault.server_error()] * 3)
    response = api.post(f"/v1/verifications/{created['id']}/liveness-session")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_unavailable"


@pytest.mark.parametrize(
    "providers",
    [
        {"aws_nothing": "required"},
        {"aws_rekognition": "sometimes"},
        {"aws_liveness": "fallback"},
        {"aws_sns": "required"},
        ["aws_rekognition"],
    ],
)
def test_invalid_provider_policies_are_refused(tenant: Tenant, providers: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        tenant_set_policy(tenant=tenant, policy={"providers": providers})
    assert refused.value.code == "invalid_policy"


def test_analyze_id_without_an_mrz_to_compare_goes_to_review(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.id_type = "DRIVER LICENSE FRONT"
    providers_on.id_fields = textract_fields()
    base = local()
    no_mrz = PipelineResult(
        [r if r.name != "document" else inconclusive("document", "document_unreadable") for r in base.results]
    )
    result, status = run(tenant, {"aws_textract": "fallback"}, no_mrz)
    assert names(result.results)["provider_document"] == ("inconclusive", ("provider_document_no_mrz",))
    assert status == Status.NEEDS_REVIEW


def test_analyze_id_reading_nothing_comparable_goes_to_review(tenant: Tenant, providers_on: StandIn) -> None:
    providers_on.id_fields = {"FIRST_NAME": "ANNA"}
    result, status = run(tenant, {"aws_textract": "required"}, local())
    assert names(result.results)["provider_document"] == ("inconclusive", ("provider_document_unreadable",))
    assert status == Status.NEEDS_REVIEW


def _liveness_run(
    tenant: Tenant, api: APIClient, standin: StandIn, reference: bytes | None
) -> tuple[PipelineResult, str, Verification]:
    verification, session = _liveness_verification(tenant, api)
    state = standin.sessions[session["session_id"]]
    state.status, state.confidence, state.reference = "SUCCEEDED", 99.0, reference
    tenant.refresh_from_db()
    policy = Policy.for_tenant(tenant)
    images = {"id_front": passport(), "selfie": selfie()}
    result = run_provider_checks(verification=verification, policy=policy, images=images, local=local())
    return result, decide(result.results, policy=policy, submissions=1).status, verification


def test_liveness_passed_by_someone_else_is_rejected(
    tenant: Tenant, api: APIClient, providers_on: StandIn
) -> None:
    # A fraudster does the live check with their own face while the selfie and document are the victim's.
    result, status, verification = _liveness_run(tenant, api, providers_on, selfie_jpeg(PEOPLE[1]))
    assert names(result.results)["provider_liveness"] == ("fail", ("liveness_face_mismatch",))
    assert status == Status.REJECTED
    row = ProviderCall.objects.get(verification=verification, operation="session_result", outcome="success")
    assert row.result is not None
    assert row.result["reference"] == "mismatch"
    assert len(str(row.result)) < 300  # the verdict, never the reference image


def test_liveness_without_a_reference_image_goes_to_review(
    tenant: Tenant, api: APIClient, providers_on: StandIn
) -> None:
    result, status, _ = _liveness_run(tenant, api, providers_on, None)
    assert names(result.results)["provider_liveness"] == ("inconclusive", ("liveness_reference_missing",))
    assert status == Status.NEEDS_REVIEW


def test_a_textract_fallback_never_verifies_without_a_local_identity(
    tenant: Tenant, providers_on: StandIn
) -> None:
    # The local read was inconclusive (so no identity, no age check, no duplicate fingerprint); the
    # provider agrees with what the MRZ said, which must still not verify the case on its own.
    providers_on.id_fields = textract_fields()
    base = local()
    shaky = CheckResult("document", Outcome.INCONCLUSIVE, reasons=("document_unreadable",), data=IDENTITY)
    no_identity = PipelineResult([r if r.name != "document" else shaky for r in base.results])
    tenant.min_age = 18
    result, status = run(tenant, {"aws_textract": "fallback"}, no_identity)
    assert providers_on.requests["AnalyzeID"] == 1
    assert names(result.results)["provider_document"] == ("inconclusive", ("provider_document_no_identity",))
    assert names(result.advisory)["provider_document"] == ("pass", ())
    assert status == Status.NEEDS_REVIEW


def test_the_call_log_keeps_only_whether_each_field_agreed(tenant: Tenant, providers_on: StandIn) -> None:
    import re

    providers_on.id_fields = {**textract_fields(), "LAST_NAME": "SOMEONE ELSE"}
    run(tenant, {"aws_textract": "required"}, local())
    row = ProviderCall.objects.get(operation="analyze_id", outcome="success")
    assert row.result == {
        "document_type": "passport",
        "agreement": {"document_number": True, "birth_date": True, "expiry_date": True, "surname": False},
    }
    assert not re.search(r"[0-9a-f]{32}", str(row.result))  # no digest of any field


def test_a_policy_naming_a_provider_this_service_does_not_run_is_refused(
    tenant: Tenant, providers_on: StandIn
) -> None:
    from django.test import override_settings

    with override_settings(TASDEEQ_PROVIDERS=["aws_rekognition"]):
        with pytest.raises(InvalidInput) as refused:
            tenant_set_policy(tenant=tenant, policy={"providers": {"aws_textract": "required"}})
        assert refused.value.code == "invalid_policy"
        tenant_set_policy(tenant=tenant, policy={"providers": {"aws_rekognition": "required"}})
    # A policy stored before an adapter was switched off still loads (its cases go to review).
    tenant.policy = {"providers": {"aws_textract": "required"}}
    with override_settings(TASDEEQ_PROVIDERS=[]):
        assert Policy.for_tenant(tenant).providers == {"aws_textract": "required"}
