"""Amazon Rekognition: CompareFaces (selfie against the document portrait) and DetectFaces.

Images go as bytes (the decrypted, re-encoded upload), never as S3 object references or URLs.
"""

from __future__ import annotations

from typing import Any

from kyc.adapters import aws
from kyc.adapters.base import (
    DetectedFace,
    FaceDetectRequest,
    FaceDetectResult,
    FaceMatchAdapter,
    FaceMatchRequest,
    FaceMatchResult,
)


class RekognitionAdapter(aws.AwsAdapter, FaceMatchAdapter):
    code = "aws_rekognition"
    service = "rekognition"
    endpoint_setting = "AWS_REKOGNITION_ENDPOINT_URL"
    backs_up = "face_match"

    def compare_faces(self, request: FaceMatchRequest) -> FaceMatchResult:
        try:
            response = self._client().compare_faces(
                SourceImage={"Bytes": request.source},
                TargetImage={"Bytes": request.target},
                SimilarityThreshold=request.threshold,
                QualityFilter="AUTO",
            )
        except Exception as exc:
            raise aws.translate(exc) from None
        matches = response.get("FaceMatches") or []
        best = max((float(m.get("Similarity", 0.0)) for m in matches), default=None)
        source = response.get("SourceImageFace") or {}
        return FaceMatchResult(
            similarity=best,
            source_face_confidence=_float(source.get("Confidence")),
            unmatched_faces=len(response.get("UnmatchedFaces") or []),
        )

    def detect_faces(self, request: FaceDetectRequest) -> FaceDetectResult:
        try:
            response = self._client().detect_faces(Image={"Bytes": request.image}, Attributes=["ALL"])
        except Exception as exc:
            raise aws.translate(exc) from None
        faces = []
        for detail in response.get("FaceDetails") or []:
            quality = detail.get("Quality") or {}
            eyes = detail.get("EyesOpen") or {}
            faces.append(
                DetectedFace(
                    confidence=float(detail.get("Confidence", 0.0)),
                    sharpness=_float(quality.get("Sharpness")),
                    brightness=_float(quality.get("Brightness")),
                    eyes_open=bool(eyes["Value"]) if "Value" in eyes else None,
                )
            )
        return FaceDetectResult(tuple(faces))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


ADAPTER = RekognitionAdapter
