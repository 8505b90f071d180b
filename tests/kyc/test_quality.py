"""Quality checks on generated scenes: the same scenes and degradations the calibration uses."""

from __future__ import annotations

import numpy as np
import pytest

from bench import degrade
from kyc.images import DecodedImage
from kyc.quality import (
    DEFAULT,
    QualityThresholds,
    check_image_quality,
    glare_fraction,
    sharpness,
    working_gray,
)
from kyc.results import Outcome

SIZE_2MP = (1632, 1224)
SIZE_12MP = (4032, 3024)


def capture(rgb: np.ndarray, seed: int = 0) -> DecodedImage:
    return degrade.to_decoded(degrade.camera(rgb, seed=seed))


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """A good 2 MP card-on-wood scene with a phone lens's softness, before the camera's noise/JPEG."""
    return degrade.optics(degrade.render_card(*SIZE_2MP, seed=7, background="wood", card="mint"))


@pytest.mark.parametrize(
    ("background", "card"),
    [
        ("wood", "mint"),
        ("slate", "cream"),
        ("blue", "white"),
        ("white_paper", "white"),
        ("clipped_white", "sky"),
    ],
)
def test_good_card_passes(background: str, card: str) -> None:
    rgb = degrade.optics(degrade.render_card(*SIZE_2MP, seed=3, background=background, card=card))
    result = check_image_quality(capture(rgb), kind="id_front")

    assert result.outcome is Outcome.PASS, result.summary()
    assert result.name == "quality_id_front"
    assert result.reasons == ()
    assert set(result.scores) >= {"sharpness", "glare_fraction", "brightness", "short_side"}
    assert result.duration_ms > 0


def test_white_background_document_is_not_glare() -> None:
    # A white card on a white sheet, and a card on a surround blown out to 255 that runs off the frame.
    for background, card in (("white_paper", "white"), ("clipped_white", "white")):
        rgb = degrade.optics(degrade.render_card(*SIZE_2MP, seed=5, background=background, card=card))
        image = capture(rgb)
        if background == "clipped_white":
            assert (image.gray >= 250).mean() > 0.3  # the surround really is clipped...
        result = check_image_quality(image, kind="id_front")
        assert "image_glare" not in result.reasons, (background, result.summary())
        assert result.scores["glare_fraction"] == 0.0  # ...and is not counted


@pytest.mark.parametrize(
    "blur",
    [lambda rgb: degrade.gaussian_blur(rgb, 0.004), lambda rgb: degrade.motion_blur(rgb, 0.015, 30.0)],
    ids=["defocus", "shake"],
)
def test_blurred_card_is_too_blurry(scene: np.ndarray, blur: object) -> None:
    result = check_image_quality(capture(blur(scene)), kind="id_front")  # type: ignore[operator]
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("image_too_blurry",)
    assert result.scores["sharpness"] < DEFAULT.min_sharpness_document


def test_glare_blob_is_glare(scene: np.ndarray) -> None:
    glare = degrade.add_glare(scene, radius_frac=0.08, peak=1.5)
    result = check_image_quality(capture(glare), kind="id_front")
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("image_glare",)
    assert result.scores["glare_fraction"] > DEFAULT.max_glare_fraction_document


def test_glare_is_seen_inside_a_clipped_surround() -> None:
    rgb = degrade.optics(degrade.render_card(*SIZE_2MP, seed=5, background="clipped_white", card="sky"))
    result = check_image_quality(capture(degrade.add_glare(rgb, radius_frac=0.05, peak=1.5)), kind="id_front")
    assert result.reasons == ("image_glare",)


def test_small_catch_light_is_not_glare(scene: np.ndarray) -> None:
    speck = degrade.add_glare(scene, radius_frac=0.004, peak=1.5)
    work = working_gray(capture(speck).gray)
    assert (work >= DEFAULT.clip_level).sum() > 0  # there is a clipped speck...
    assert (
        glare_fraction(work, clip_level=DEFAULT.clip_level, min_blob_fraction=DEFAULT.min_glare_blob_fraction)
        == 0.0
    )  # ...too small to count


def test_dark_card_is_too_dark(scene: np.ndarray) -> None:
    result = check_image_quality(capture(degrade.darken(scene, gain=0.18, gamma=1.8)), kind="id_front")
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("image_too_dark",)
    assert result.scores["highlights"] < DEFAULT.min_highlights


def test_slightly_dim_card_still_passes(scene: np.ndarray) -> None:
    result = check_image_quality(capture(degrade.darken(scene, gain=0.7, gamma=1.2)), kind="id_front")
    assert result.outcome is Outcome.PASS, result.summary()


def test_tiny_image_is_too_small(scene: np.ndarray) -> None:
    small = capture(degrade.resize_short(scene, 400))
    result = check_image_quality(small, kind="id_back")
    assert result.name == "quality_id_back"
    assert result.reasons == ("image_too_small",)
    assert result.scores["short_side"] == 400


def test_minimum_size_depends_on_kind(scene: np.ndarray) -> None:
    image = capture(degrade.resize_short(scene, 520))  # between the selfie and the document minimum
    assert check_image_quality(image, kind="selfie").outcome is Outcome.PASS
    assert check_image_quality(image, kind="id_front").reasons == ("image_too_small",)


def test_every_applicable_reason_is_listed(scene: np.ndarray) -> None:
    # Images below the working size are measured at their own resolution: blur them visibly there.
    small = degrade.resize_short(scene, 360)
    bad = degrade.darken(degrade.gaussian_blur(small, 0.012), gain=0.18, gamma=1.8)
    result = check_image_quality(capture(bad), kind="selfie")
    assert result.name == "quality_selfie"
    assert result.outcome is Outcome.FAIL
    assert set(result.reasons) == {"image_too_small", "image_too_blurry", "image_too_dark"}


def test_same_scene_scores_alike_at_2mp_and_12mp() -> None:
    for blur in (0.0, 0.0025):
        scores = []
        for size in (SIZE_2MP, SIZE_12MP):
            rgb = degrade.optics(degrade.render_card(*size, seed=11, background="slate", card="cream"))
            scores.append(sharpness(working_gray(capture(degrade.gaussian_blur(rgb, blur)).gray)))
        assert scores[0] == pytest.approx(scores[1], rel=0.05), (blur, scores)
    # Both are measured on the same grid.
    big, small = np.zeros(SIZE_12MP[::-1], np.uint8), np.zeros(SIZE_2MP[::-1], np.uint8)
    assert working_gray(big).shape == working_gray(small).shape == (768, 1024)


def test_sharpness_ignores_exposure(scene: np.ndarray) -> None:
    # A dark picture is dark, not blurry: the edge measure is normalised by local contrast.
    bright = sharpness(working_gray(capture(scene).gray))
    dark = sharpness(working_gray(capture(degrade.darken(scene, gain=0.3, gamma=1.6)).gray))
    assert dark == pytest.approx(bright, rel=0.1)


def test_sharpness_orders_blur_levels(scene: np.ndarray) -> None:
    levels = [
        sharpness(working_gray(capture(degrade.gaussian_blur(scene, f)).gray))
        for f in (0.0, 0.001, 0.0025, 0.004)
    ]
    assert levels == sorted(levels, reverse=True)


def test_thresholds_are_injectable(scene: np.ndarray) -> None:
    strict = QualityThresholds(min_sharpness_document=0.99)
    result = check_image_quality(capture(scene), kind="id_front", thresholds=strict)
    assert result.reasons == ("image_too_blurry",)


def test_unknown_kind_is_a_programming_error(scene: np.ndarray) -> None:
    with pytest.raises(ValueError, match="unknown capture kind"):
        check_image_quality(capture(scene), kind="passport_selfie")


def test_blank_image_has_no_sharpness() -> None:
    flat = DecodedImage(rgb=np.full((800, 1000, 3), 128, np.uint8), gray=np.full((800, 1000), 128, np.uint8))
    result = check_image_quality(flat, kind="id_front")
    assert result.scores["sharpness"] == 0.0
    assert "image_too_blurry" in result.reasons
