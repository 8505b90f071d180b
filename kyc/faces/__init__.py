"""Face detection and 1:1 face matching (selfie against the document portrait).

Plain functions over `DecodedImage`; no Django, no I/O beyond loading the model files once.
Figures: see the end of this docstring (filled in from `python -m bench.face_match`).
"""

from kyc.faces.checks import (
    DEFAULT_MATCH,
    MatchThresholds,
    check_document_portrait,
    check_face_match,
    check_selfie_faces,
    detect_faces,
)
from kyc.faces.detection import FaceBox

__all__ = [
    "DEFAULT_MATCH",
    "FaceBox",
    "MatchThresholds",
    "check_document_portrait",
    "check_face_match",
    "check_selfie_faces",
    "detect_faces",
]
