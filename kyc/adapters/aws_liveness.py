"""Amazon Rekognition Face Liveness: a session for the mobile app, then its result and confidence.

The app runs AWS's FaceLivenessDetector against the session id we return; the video never passes
through Tasdeeq. At processing time we read the session's status, confidence (0-100) and its
ReferenceImage (a frame of the live face), which the pipeline compares with the document portrait:
a liveness pass proves a live person, the reference binds that person to the document.
"""

from __future__ import annotations

from kyc.adapters import aws
from kyc.adapters.base import LivenessAdapter, LivenessResult, LivenessSession, LivenessSessionRequest


class FaceLivenessAdapter(aws.AwsAdapter, LivenessAdapter):
    code = "aws_liveness"
    service = "rekognition"
    endpoint_setting = "AWS_REKOGNITION_ENDPOINT_URL"

    def create_session(self, request: LivenessSessionRequest) -> LivenessSession:
        try:
            response = self._client().create_face_liveness_session(
                ClientRequestToken=request.idempotency_token
            )
        except Exception as exc:
            raise aws.translate(exc) from None
        return LivenessSession(session_id=str(response["SessionId"]))

    def session_result(self, session_id: str) -> LivenessResult:
        try:
            response = self._client().get_face_liveness_session_results(SessionId=session_id)
        except Exception as exc:
            raise aws.translate(exc) from None
        confidence = response.get("Confidence")
        reference = (response.get("ReferenceImage") or {}).get("Bytes")
        return LivenessResult(
            session_id=str(response.get("SessionId", session_id)),
            status=str(response["Status"]),
            confidence=None if confidence is None else float(confidence),
            reference_image=bytes(reference) if reference else None,
        )


ADAPTER = FaceLivenessAdapter
