"""Each adapter against a real wire protocol: moto's server, or the stand-in where moto has no model."""

from __future__ import annotations

import pytest
from django.conf import settings

from kyc.adapters.base import (
    FaceDetectRequest,
    FaceMatchRequest,
    IdAnalysisRequest,
    LivenessSessionRequest,
    PermanentProviderError,
    ProviderThrottled,
    ProviderTimeout,
    ProviderUnavailable,
    SmsRequest,
    TransientProviderError,
)
from kyc.adapters.fields import field_digest
from kyc.adapters.registry import face_match_adapter, id_analysis_adapter, liveness_adapter, sms_adapter
from tests.aws_standin import Fault, StandIn
from tests.providers.helpers import PERSON, passport, selfie, textract_fields


def test_compare_faces_sends_bytes_and_reads_motos_answer(providers_on: StandIn) -> None:
    adapter = face_match_adapter("aws_rekognition", settings)
    result = adapter.compare_faces(FaceMatchRequest(source=selfie(), target=passport()))
    # moto's canned CompareFaces answer: one match at similarity 100.
    assert result.similarity == pytest.approx(100.0)
    assert result.source_face_confidence is not None
    shape = providers_on.shapes["CompareFaces"]
    assert shape["SourceImage"] == {"kind": "Bytes", "size": len(selfie())}
    assert shape["TargetImage"] == {"kind": "Bytes", "size": len(passport())}


def test_detect_faces(providers_on: StandIn) -> None:
    providers_on.faces = 2
    result = face_match_adapter("aws_rekognition", settings).detect_faces(FaceDetectRequest(selfie()))
    assert len(result.faces) == 2
    assert result.faces[0].confidence == pytest.approx(99.9)
    assert result.faces[0].eyes_open is True
    assert providers_on.shapes["DetectFaces"]["Image"]["kind"] == "Bytes"


def test_liveness_session_and_result(providers_on: StandIn) -> None:
    adapter = liveness_adapter("aws_liveness", settings)
    session = adapter.create_session(LivenessSessionRequest(idempotency_token="tok-1"))
    again = adapter.create_session(LivenessSessionRequest(idempotency_token="tok-1"))
    assert again.session_id == session.session_id  # ClientRequestToken makes the create idempotent
    assert adapter.session_result(session.session_id).status == "CREATED"
    providers_on.sessions[session.session_id].status = "SUCCEEDED"
    providers_on.sessions[session.session_id].confidence = 97.25
    result = adapter.session_result(session.session_id)
    assert (result.status, result.confidence) == ("SUCCEEDED", pytest.approx(97.25))
    assert result.reference_image is None  # the stand-in sent no ReferenceImage
    providers_on.sessions[session.session_id].reference = selfie()
    assert adapter.session_result(session.session_id).reference_image == selfie()  # bytes, decoded
    assert "reference_image" not in str(result) and "reference_image" not in result.record()
    with pytest.raises(PermanentProviderError) as unknown:
        adapter.session_result("00000000-0000-4000-8000-000000000000")
    assert unknown.value.code == "SessionNotFoundException"


def test_analyze_id_normalises_and_hashes(providers_on: StandIn) -> None:
    providers_on.id_fields = textract_fields()
    result = id_analysis_adapter("aws_textract", settings).analyze_id(
        IdAnalysisRequest(front=passport(), back=passport())
    )
    assert result.document_type == "passport"
    assert result.fields["birth_date"].value == "1974-08-12T00:00:00"  # the normalised form, not 12/08/1974
    assert result.fields["document_number"].digest == field_digest("document_number", PERSON.document_number)
    assert providers_on.shapes["AnalyzeID"]["DocumentPages"] == [{"kind": "Bytes"}, {"kind": "Bytes"}]
    # What is recorded is the cross-check against the MRZ: one boolean per field, nothing else.
    from kyc.adapters.checks import cross_check

    mrz = {"document_number": PERSON.document_number, "surname": "SOMEONE ELSE"}
    record = cross_check(result, mrz).record()
    assert record == {"document_type": "passport", "agreement": {"document_number": True, "surname": False}}


def test_sns_publishes_one_sms_to_moto(providers_on: StandIn) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sent = sms_adapter("aws_sns", settings).send_sms(SmsRequest("+447400123456", "Your code is 123456"))
    stored = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages[sent.message_id]
    assert stored == ("+447400123456", "Your code is 123456")


@pytest.mark.parametrize(
    ("fault", "error", "permanent"),
    [
        (Fault.server_error(), TransientProviderError, False),
        (Fault.error(503, "ServiceUnavailableException"), TransientProviderError, False),
        (Fault.throttled(), ProviderThrottled, False),
        (Fault.error(400, "ProvisionedThroughputExceededException"), ProviderThrottled, False),
        (Fault.invalid_parameter(), PermanentProviderError, True),
        (Fault.access_denied(), PermanentProviderError, True),
        (Fault.error(400, "ImageTooLargeException"), PermanentProviderError, True),
    ],
)
def test_errors_say_whether_they_are_permanent(
    providers_on: StandIn, fault: Fault, error: type[Exception], permanent: bool
) -> None:
    providers_on.inject("DetectFaces", fault)
    with pytest.raises(error) as raised:
        face_match_adapter("aws_rekognition", settings).detect_faces(FaceDetectRequest(selfie()))
    assert raised.value.permanent is permanent  # type: ignore[attr-defined]
    assert raised.value.code == fault.error_type  # type: ignore[attr-defined]
    assert providers_on.requests["DetectFaces"] == 1  # botocore's own retries are off


def test_read_timeout_is_a_timeout(providers_on: StandIn) -> None:
    providers_on.inject("AnalyzeID", Fault.slow(2.0))  # read timeout is 1 s in providers_on
    with pytest.raises(ProviderTimeout):
        id_analysis_adapter("aws_textract", settings).analyze_id(IdAnalysisRequest(front=passport()))


def test_a_provider_not_enabled_is_unavailable(providers_on: StandIn) -> None:
    from django.test import override_settings

    with override_settings(TASDEEQ_PROVIDERS=["aws_sns"]), pytest.raises(ProviderUnavailable):
        face_match_adapter("aws_rekognition", settings)
