"""Face checks on real faces shipped by registry packages (see tests/specimens/faces.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from kyc.faces import (
    DEFAULT_MATCH,
    FaceBox,
    MatchThresholds,
    check_document_portrait,
    check_face_match,
    check_selfie_faces,
    detect_faces,
)
from kyc.faces.detection import DOCUMENT_LONG_SIDE, detect_gray
from kyc.images import DecodedImage, decode
from kyc.results import CheckResult, Outcome
from tests.images import photo
from tests.specimens.faces import PEOPLE, face_photo, two_face_photo

A, B = PEOPLE[0], PEOPLE[1]
SHARED_FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"
FRAME = (1632, 1224)  # a 2 MP phone photo
CARD_AT = (300, 250)  # where the card lies in the frame (before rotation)
PORTRAIT_AT = (40, 90)  # where the portrait is printed on the card


def decoded(image: Image.Image) -> DecodedImage:
    return DecodedImage.from_pil(image)


def jpeg(image: Image.Image, quality: int) -> DecodedImage:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return decode(buffer.getvalue())


def card_photo(
    portrait: Image.Image | None,
    *,
    portrait_height: int = 200,
    angle: float = 0.0,
    ghost: bool = False,
    quality: int = 75,
) -> DecodedImage:
    """A 2 MP photo of an ID-1-like card on a textured table: a greyscale printed portrait (4:5,
    `portrait_height` px tall in the photo), text bars, optionally a faint small ghost copy of the
    portrait, a small rotation and JPEG recompression."""
    card = Image.new("RGB", (860, 540), (226, 234, 242))
    draw = ImageDraw.Draw(card)
    for k in range(6):
        draw.rectangle((300, 80 + 60 * k, 760 - 40 * k, 100 + 60 * k), fill=(40, 40, 60))
    if portrait is not None:
        grey = ImageOps.grayscale(portrait).convert("RGB")
        size = (portrait_height * 4 // 5, portrait_height)
        card.paste(grey.resize(size, Image.Resampling.LANCZOS), PORTRAIT_AT)
        if ghost:
            faint = ImageEnhance.Contrast(grey).enhance(0.45).resize((96, 120), Image.Resampling.LANCZOS)
            card.paste(faint, (620, 400))
    card = card.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(70, 70, 70))
    frame = photo(*FRAME)
    frame.paste(card, CARD_AT)
    return jpeg(frame, quality)


def face_of(result: CheckResult) -> FaceBox:
    assert result.passed, result.summary()
    face = result.data["face"]
    assert isinstance(face, FaceBox)
    return face


@pytest.fixture(scope="module")
def selfies() -> dict[str, DecodedImage]:
    return {person: decoded(face_photo(person)) for person in PEOPLE}


@pytest.fixture(scope="module")
def card_of_a() -> DecodedImage:
    # Same source photo as A's selfie, but greyscale, printed small, rotated and recompressed.
    return card_photo(face_photo(A), portrait_height=200, angle=4.0, quality=70)


# --- selfie ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_one_face_passes_with_its_box(selfies: dict[str, DecodedImage], person: str) -> None:
    result = check_selfie_faces(selfies[person])
    assert result.name == "selfie_face"
    face = face_of(result)
    image = selfies[person]
    assert 0 <= face.left < face.right <= image.width and 0 <= face.top < face.bottom <= image.height
    assert face.side > image.width / 3  # the face fills the frame like a selfie
    assert result.duration_ms > 0


def test_boxes_are_in_original_pixels_at_12_megapixels() -> None:
    small = face_photo(A)
    big = small.resize((small.width * 5, small.height * 5), Image.Resampling.BICUBIC)  # 2400 x 3000
    (at_small,), (at_big,) = detect_faces(decoded(small)), detect_faces(decoded(big))
    centre = ((at_small.left + at_small.right) / 2, (at_small.top + at_small.bottom) / 2)
    assert at_big.side == pytest.approx(5 * at_small.side, rel=0.15)
    assert (at_big.left + at_big.right) / 2 == pytest.approx(5 * centre[0], abs=0.1 * at_big.side)
    assert (at_big.top + at_big.bottom) / 2 == pytest.approx(5 * centre[1], abs=0.1 * at_big.side)


def test_boxes_are_exact_when_the_detector_needs_no_resize() -> None:
    # 1610 px is within 2 % of the document pass's 1600 px, so that pass skips the resize: its boxes
    # must then be the ones found at exactly 1:1, not scaled by 1600 / 1610.
    frame = photo(1610, 1200)
    frame.paste(face_photo(A), (1000, 500))
    gray = decoded(frame).gray
    assert detect_gray(gray, DOCUMENT_LONG_SIDE) == detect_gray(gray, 1610)


@pytest.mark.parametrize(
    "image",
    [photo(1200, 900), Image.new("RGB", (800, 600), (128, 140, 150))],
    ids=["texture", "plain"],
)
def test_no_face_fails(image: Image.Image) -> None:
    result = check_selfie_faces(decoded(image))
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("face_not_found",)
    assert "face" not in result.data


def test_two_faces_fail() -> None:
    result = check_selfie_faces(decoded(two_face_photo()))
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("multiple_faces",)
    assert result.scores["faces"] == 2


def test_a_small_face_in_the_background_does_not_count() -> None:
    selfie = face_photo(A).copy()
    poster = face_photo(B).resize((110, 138), Image.Resampling.LANCZOS)  # under half the user's face
    selfie.paste(poster, (selfie.width - poster.width, 0))
    assert len(detect_faces(decoded(selfie))) == 2
    assert check_selfie_faces(decoded(selfie)).passed


# --- document portrait ---------------------------------------------------------------------------------


@pytest.mark.parametrize("height", [160, 200, 250])
def test_small_greyscale_card_portrait_is_found(height: int) -> None:
    result = check_document_portrait(card_photo(face_photo(A), portrait_height=height))
    assert result.name == "document_portrait"
    face = face_of(result)
    left, top = CARD_AT[0] + PORTRAIT_AT[0], CARD_AT[1] + PORTRAIT_AT[1]
    assert left <= face.left < face.right <= left + height * 4 // 5
    assert top <= face.top < face.bottom <= top + height


def test_card_without_portrait_fails() -> None:
    result = check_document_portrait(card_photo(None))
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_face_not_found",)


def test_the_largest_face_is_the_portrait_not_the_ghost_image() -> None:
    document = card_photo(face_photo(A), portrait_height=250, ghost=True)
    face = face_of(check_document_portrait(document))
    left = CARD_AT[0] + PORTRAIT_AT[0]
    assert left <= face.left < face.right <= left + 200  # inside the main portrait, not the ghost


# --- matching -------------------------------------------------------------------------------------------


def match(selfie: DecodedImage, document: DecodedImage, **kwargs: MatchThresholds) -> CheckResult:
    return check_face_match(
        selfie,
        face_of(check_selfie_faces(selfie)),
        document,
        face_of(check_document_portrait(document)),
        **kwargs,
    )


def test_selfie_matches_own_transformed_card_portrait(
    selfies: dict[str, DecodedImage], card_of_a: DecodedImage
) -> None:
    result = match(selfies[A], card_of_a)
    assert result.name == "face_match"
    assert result.outcome is Outcome.PASS, result.summary()
    assert result.scores["distance"] <= DEFAULT_MATCH.accept
    assert 0.5 < result.scores["similarity"] <= 1.0


def test_other_person_is_a_mismatch(selfies: dict[str, DecodedImage], card_of_a: DecodedImage) -> None:
    result = match(selfies[B], card_of_a)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("selfie_face_mismatch",)
    assert result.scores["distance"] > DEFAULT_MATCH.reject + 0.1  # a wide margin, not a coin toss
    assert 0.0 <= result.scores["similarity"] < 0.5


def test_a_distance_inside_the_band_goes_to_review(
    selfies: dict[str, DecodedImage], card_of_a: DecodedImage
) -> None:
    d = match(selfies[A], card_of_a).scores["distance"]
    band = MatchThresholds(accept=d - 0.01, reject=d + 0.01)
    result = match(selfies[A], card_of_a, thresholds=band)
    assert result.outcome is Outcome.INCONCLUSIVE
    assert result.reasons == ("face_match_uncertain",)
    assert result.scores["similarity"] == pytest.approx(0.5)


def test_results_carry_no_face_data_into_their_summary(
    selfies: dict[str, DecodedImage], card_of_a: DecodedImage
) -> None:
    result = match(selfies[A], card_of_a)
    assert set(result.summary()) == {"name", "outcome", "reasons", "scores", "duration_ms"}
    assert set(result.scores) == {"distance", "similarity"}
    assert "FaceBox" not in repr(check_selfie_faces(selfies[A]))  # data is kept out of repr (logs)


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="accept <= reject"):
        MatchThresholds(accept=0.7, reject=0.6)
    assert DEFAULT_MATCH.accept < DEFAULT_MATCH.reject


# --- the labelled calibration set, when this machine has it ---------------------------------------------


@pytest.mark.skipif(not SHARED_FACES.is_dir(), reason="shared/data/faces is not on this machine")
def test_two_photos_of_one_person_match_and_another_person_does_not() -> None:
    # Two different photos of one person (LFW, 250 x 250; distance ~0.35) and another person (~0.88).
    first, second, other = (
        decode((SHARED_FACES / name).read_bytes())
        for name in ("colin_powell/1.jpg", "colin_powell/2.jpg", "george_w_bush/1.jpg")
    )
    assert match(first, second).outcome is Outcome.PASS
    assert match(first, other).outcome is Outcome.FAIL
