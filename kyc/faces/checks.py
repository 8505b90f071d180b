"""The three face checks: one face in the selfie, a portrait on the document, and 1:1 matching."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kyc.faces.detection import DOCUMENT_LONG_SIDE, SELFIE_LONG_SIDE, FaceBox, detect_gray, refine_box
from kyc.faces.embedding import distance, face_embedding
from kyc.images import DecodedImage
from kyc.results import CheckResult, Outcome, failed, inconclusive, timed

# A second face counts in a selfie only when its box side is at least half the largest face's
# (>= 25 % of its area) and the detector is reasonably sure of it: someone beside or just behind
# the user counts; a poster or a passer-by in the background does not, nor do weak HOG hits on
# badges and textures (seen at scores 0.06-0.15). Missing a real second face costs little: the
# match uses the largest face anyway. True faces score above 0.3 in 99 % of the calibration photos.
SECOND_FACE_MIN_RELATIVE_SIDE = 0.5
SECOND_FACE_MIN_SCORE = 0.2


@dataclass(frozen=True)
class MatchThresholds:
    """Euclidean descriptor distance: <= accept passes, > reject fails, in between goes to review."""

    accept: float
    reject: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.accept <= self.reject:
            raise ValueError("face match thresholds need 0 <= accept <= reject")


# Calibrated by `python -m bench.face_match` (figures in the kyc.faces docstring): accept passes at
# most 0.04 % of different-person pairs, reject fails at most 0.3 % of same-person pairs (fractions
# of the 0.1 % / 1 % targets, so that they hold on people the thresholds were not chosen on), each
# rounded to 0.005 in its safe direction.
DEFAULT_MATCH = MatchThresholds(accept=0.565, reject=0.65)
SIMILARITY_SLOPE = 0.03  # distance units per e-fold of the logistic below


def detect_faces(image: DecodedImage) -> list[FaceBox]:
    """Faces of at least ~10 % of the image's long side, largest first, in original pixels."""
    return detect_gray(image.gray, SELFIE_LONG_SIDE)


def counted_faces(faces: list[FaceBox]) -> list[FaceBox]:
    """The faces that count in a selfie: the largest, plus others per the rule above."""
    if not faces:
        return []
    largest, *others = faces
    floor = SECOND_FACE_MIN_RELATIVE_SIDE * largest.side
    return [largest, *(f for f in others if f.side >= floor and f.score >= SECOND_FACE_MIN_SCORE)]


@timed
def check_selfie_faces(image: DecodedImage) -> CheckResult:
    faces = detect_faces(image)
    counted = counted_faces(faces)
    if not counted:
        return failed("selfie_face", "face_not_found", faces=0.0)
    if len(counted) > 1:
        return failed("selfie_face", "multiple_faces", faces=float(len(counted)))
    face = refine_box(image.gray, counted[0])
    return CheckResult(
        name="selfie_face",
        outcome=Outcome.PASS,
        scores={"faces": 1.0, "detector_score": face.score, "face_px": float(face.side)},
        data={"face": face},
    )


@timed
def check_document_portrait(image: DecodedImage) -> CheckResult:
    # A photographed card's portrait is often below the selfie pass's 10 % floor, so a second pass
    # at twice the resolution runs only when the cheap one finds nothing. Of several faces (the
    # ghost image on passports is a smaller, fainter copy) the largest is the portrait.
    faces = detect_gray(image.gray, SELFIE_LONG_SIDE) or detect_gray(image.gray, DOCUMENT_LONG_SIDE)
    if not faces:
        return failed("document_portrait", "document_face_not_found", faces=0.0)
    face = refine_box(image.gray, faces[0])
    return CheckResult(
        name="document_portrait",
        outcome=Outcome.PASS,
        scores={"faces": float(len(faces)), "detector_score": face.score, "face_px": float(face.side)},
        data={"face": face},
    )


def similarity(d: float, thresholds: MatchThresholds) -> float:
    """A 0..1 score for reviewers: 0.5 in the middle of the review band, monotone in the distance.

    Not a probability: it only restates the distance on a scale where higher means more alike.
    """
    middle = (thresholds.accept + thresholds.reject) / 2
    return 1.0 / (1.0 + math.exp((d - middle) / SIMILARITY_SLOPE))


@timed
def check_face_match(
    selfie: DecodedImage,
    selfie_face: FaceBox,
    document: DecodedImage,
    document_face: FaceBox,
    *,
    thresholds: MatchThresholds = DEFAULT_MATCH,
) -> CheckResult:
    d = distance(face_embedding(selfie.rgb, selfie_face), face_embedding(document.rgb, document_face))
    scores = {"distance": d, "similarity": similarity(d, thresholds)}
    if d <= thresholds.accept:
        return CheckResult(name="face_match", outcome=Outcome.PASS, scores=scores)
    if d > thresholds.reject:
        return failed("face_match", "selfie_face_mismatch", **scores)
    # Too close to call either way: a person compares the photos rather than the model guessing.
    return inconclusive("face_match", "face_match_uncertain", **scores)
