"""Image quality checks: is this capture good enough to verify from?

`check_image_quality(image, kind=...)` returns a `CheckResult` named `quality_<kind>` (kinds
`id_front`, `id_back`, `selfie`). FAIL lists every reason that applies; PASS carries the same scores.

- `image_too_small`: short side < 600 px (documents) / 480 px (selfies). An ID-1 card filling ~85 %
  of an 800x600 frame is imaged at ~8 px/mm: MRZ characters (~2.4 mm) are ~20 px tall and the card
  portrait ~250 px, enough for OCR and for a 150 px face chip. A selfie face across ~40 % of 480 px is
  ~190 px, above the 150 px the face embedding works at.
- `image_too_blurry`: `sharpness` < 0.19 (see `sharpness`: ~0.4 / blur sigma in working px).
- `image_glare`: `glare_fraction` > 0.5 % (documents) / 4 % (selfies) of the frame.
- `image_too_dark`: `highlights` (95th percentile luminance) < 81 of 255.

Every metric runs on one grey copy shrunk to a 1024 px long side (never enlarged: images smaller than
that are measured at their own resolution and judged for size by `image_too_small`; enlarging them
would fail every minimum-size selfie as blurry). Cost, one core, on a shared 2-core box: ~12 ms per
image from 2 MP to 12 MP (`bench/calibrate_quality.py` prints it).

Calibration (`.venv/bin/python -m bench.calibrate_quality`, 4240 captures). Good captures: 55
synthetic card scenes (5 surfaces incl. white paper and a clipped white surround, 5 card colours incl.
white; 50 at 2 MP, 5 at 12 MP) and 210 face photos from /work/shared/data/faces enlarged to >= 480 px.
Each degradation is applied to every good capture, then noise and JPEG. Blur sizes are fractions of
the long side. Share rejected by DEFAULT for the level's own reason, cards (n=55) | faces >= 330 px
native (n=72):

    good captures, any reason                0 %         | 1.4 %
    gauss 0.10 % (must pass)                 0 %         | 2.8 %
    gauss 0.15 % (grey zone)                 0 %         | 12.5 %
    gauss 0.25 % / 0.40 %                    100 / 100 % | 90.3 / 100 %
    shake 0.8 % (grey) / 1.5 %               33 / 98 %   | 97.2 / 100 %
    glare r3% x1 (grey) / r5% x1.5           64 / 100 %  | 0 / 2.8 %
    glare r8% x1.5 / r12% x2                 100 / 98 %  | 11.1 / 88.9 %
    dark gain .70 (must pass) / .45 (grey)   0 / 0 %     | 1.4 / 26.4 %
    dark gain .30 / .18                      100 / 100 % | 100 / 100 %
    same scene at 2 MP and 12 MP: sharpness within 3.3 %

Thresholds were fitted to maximise good-passing + must-catch-caught with at most 2 % of good captures
rejected. The sharpness fit uses cards and natural photos together (vector-drawn cards are sharper
than any camera): 0.190 for documents, 0.189 for selfies. The document glare bar is not identifiable
from synthetic cards (their glare is exactly 0, the smallest must-catch blob covers 1.4 %): 0.5 % sits
at a third of that, leaving room for the hologram and laminate sparkle of real cards. Natural photos
hold bright interior blobs (white collars, lamps, flash), so the selfie glare bar is high (fitted 4 %)
and only large blow-outs fail. Low-resolution faces (LFW 250 px, 150 px crops) enlarged to 480 px fail
as blurry about half the time (46-51 %): that is what an upscaled thumbnail is.
Known weakness: the 9 px contrast window saturates for long streaks, so shake of 1.5 % on thin-stroke
text scores 0.17-0.19 on cards, right at the bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kyc.images import DecodedImage
from kyc.results import CheckResult, failed, passed, timed

TOO_SMALL = "image_too_small"
TOO_BLURRY = "image_too_blurry"
GLARE = "image_glare"
TOO_DARK = "image_too_dark"

DOCUMENT_KINDS = frozenset({"id_front", "id_back"})
KINDS = DOCUMENT_KINDS | {"selfie"}

# Every metric is computed on a grey copy whose long side is WORK_SIDE px, so a 2 MP and a 12 MP shot
# of the same scene are measured on the same grid and cost the same few ms.
WORK_SIDE = 1024
# Local-contrast window for the edge measure: wider than the widest blur we need to grade
# (sigma ~3 working px), so a blurred edge still fits in it whole.
_RANGE_KERNEL = np.ones((9, 9), np.uint8)
_MIN_EDGE_CONTRAST = 32  # grey levels; below this an "edge" is mostly sensor and JPEG noise
_MIN_EDGE_PIXELS = 50  # per orientation; fewer and that orientation is not judged
_EDGE_QUANTILE = 0.95  # the steepest edges tell how sharp the capture is; the rest are soft content
_TAN_22_5 = 0.41421356  # orientation bins are 45 degrees wide


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """Limits for `check_image_quality`; `DEFAULT` is calibrated by `bench/calibrate_quality.py`."""

    min_short_side_document: int = 600
    min_short_side_selfie: int = 480
    min_sharpness_document: float = 0.19
    min_sharpness_selfie: float = 0.19
    max_glare_fraction_document: float = 0.005
    max_glare_fraction_selfie: float = 0.04
    min_highlights: float = 81.0  # 95th percentile of luminance: how bright the highlights get
    clip_level: int = 250  # a working-size luminance at/above this is blown out
    min_glare_blob_fraction: float = 0.0005  # smaller clipped specks (catch-lights, sparkle) are ignored

    def for_kind(self, kind: str) -> tuple[int, float, float]:
        """(min short side, min sharpness, max glare fraction) for one kind of capture."""
        if kind in DOCUMENT_KINDS:
            return self.min_short_side_document, self.min_sharpness_document, self.max_glare_fraction_document
        if kind == "selfie":
            return self.min_short_side_selfie, self.min_sharpness_selfie, self.max_glare_fraction_selfie
        # A programming error, not a user error: the kinds are fixed by the pipeline.
        raise ValueError(f"unknown capture kind {kind!r}; expected one of {sorted(KINDS)}")


DEFAULT = QualityThresholds()


def working_gray(gray: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """Shrink so the long side is `side` px (never enlarge: that would only invent softness).

    Exact 2x2 box halvings first (OpenCV's SIMD fast path, ~1 ms even at 12 MP; a general
    fractional area resize costs 10-20 ms), then bilinear for the remaining factor, which is below 2
    and so aliases too little to move the scores: the same scene measured from 1.2 to 12 MP scores
    within +-0.01 when blurred (`bench/calibrate_quality.py` checks this).
    """
    h, w = gray.shape
    while max(h, w) >= 2 * side:
        gray = cv2.resize(gray[: h - h % 2, : w - w % 2], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        h, w = gray.shape
    if max(h, w) <= side:
        return gray
    s = side / max(h, w)
    return cv2.resize(gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_LINEAR)


def sharpness(work: np.ndarray) -> float:
    """Steepness of the sharpest edges per unit of their contrast, in the worst orientation.

    For a step edge of height H blurred by a Gaussian of sigma s px, the steepest slope is
    H / (s * sqrt(2 pi)), so slope / local range ~= 0.4 / s: the score estimates the blur radius
    whatever the lighting or the amount of content (the variance of the Laplacian varies ~10x with
    both: a dark or plain capture would read as "blurry"). Sampling caps it at ~0.41. Edges are
    binned by orientation and the worst bin counts, so a streak of camera shake, which blurs only
    the edges across it, is not hidden by the sharp edges along it.
    """
    gx = cv2.Sobel(work, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)  # 1/8: slope per pixel
    gy = cv2.Sobel(work, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    local_range = cv2.morphologyEx(work, cv2.MORPH_GRADIENT, _RANGE_KERNEL)
    # Only pixels near a real edge; gathering them first keeps the arithmetic below to ~15 % of the frame.
    idx = np.flatnonzero(local_range >= _MIN_EDGE_CONTRAST)
    if idx.size == 0:
        return 0.0
    x, y = gx.ravel()[idx], gy.ravel()[idx]
    rng = local_range.ravel()[idx].astype(np.float32)
    ratio2 = (x * x + y * y) / (rng * rng)  # squared: the percentile commutes with sqrt, sqrt once
    ax, ay = np.abs(x), np.abs(y)
    across_x, across_y = ay <= _TAN_22_5 * ax, ax <= _TAN_22_5 * ay
    diagonal, rising = ~(across_x | across_y), (x * y) > 0
    scores = []
    for in_bin in (across_x, across_y, diagonal & rising, diagonal & ~rising):
        values = ratio2[in_bin]
        if values.size >= _MIN_EDGE_PIXELS:
            k = int(_EDGE_QUANTILE * (values.size - 1))
            scores.append(float(np.sqrt(np.partition(values, k)[k])))
    return min(scores) if scores else 0.0


def glare_fraction(work: np.ndarray, *, clip_level: int, min_blob_fraction: float) -> float:
    """Share of the frame covered by blown-out blobs that lie wholly inside the frame.

    Glare is a specular reflection: light clipped at the sensor's maximum in a compact blob on the
    document. Luminance >= 250 can only happen when every channel is >= ~211, so such pixels are
    also nearly colourless: no separate saturation test is needed. Matte white paper is exposed
    below clipping by auto-exposure, and a clipped background (a white sheet, a window or wall
    behind a selfie) runs off the edge of the frame: blobs touching the border are therefore not
    glare. The price: glare that touches the border is missed, as is glare merged with a clipped
    background. Blobs below `min_blob_fraction` of the frame (catch-lights in eyes, sparkle on a
    hologram) are ignored.
    """
    clipped = (work >= clip_level).astype(np.uint8)
    if not clipped.any():
        return 0.0
    # Outer contours rather than connected-component labelling: ~5x faster on these sparse masks,
    # and a blob's area includes the text it swallowed (that text is what the glare hides).
    # Two-level hierarchy, not just the outermost contours: glare on a card lying on a clipped white
    # sheet sits in a hole of the sheet's blob and must still be seen.
    contours, hierarchy = cv2.findContours(clipped, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    h, w = work.shape
    min_area = min_blob_fraction * h * w
    total = 0.0
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent >= 0:
            continue  # the boundary of a hole, not of a blob
        x, y, bw, bh = cv2.boundingRect(contour)
        if x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue  # runs off the frame: a background, not a reflection on the document
        area = cv2.contourArea(contour)
        if area >= min_area:
            total += area
    return total / float(h * w)


def brightness(work: np.ndarray) -> tuple[float, float]:
    """(mean, 95th percentile) luminance. The highlights decide "too dark": a well-lit card on a
    dark table has a low mean but bright highlights; an under-exposed shot has neither."""
    hist = cv2.calcHist([work], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist)
    p95 = float(np.searchsorted(cdf, 0.95 * cdf[-1]))
    mean = float(np.dot(hist, np.arange(256)) / cdf[-1])
    return mean, p95


@timed
def check_image_quality(
    image: DecodedImage, *, kind: str, thresholds: QualityThresholds = DEFAULT
) -> CheckResult:
    """Grade one capture; FAIL lists every reason that applies, PASS carries the same scores."""
    min_short, min_sharp, max_glare = thresholds.for_kind(kind)
    name = f"quality_{kind}"
    work = working_gray(image.gray)
    short_side = min(image.width, image.height)
    sharp = sharpness(work)
    glare = glare_fraction(
        work, clip_level=thresholds.clip_level, min_blob_fraction=thresholds.min_glare_blob_fraction
    )
    mean, p95 = brightness(work)

    reasons: list[str] = []
    if short_side < min_short:
        reasons.append(TOO_SMALL)
    if sharp < min_sharp:
        reasons.append(TOO_BLURRY)
    if glare > max_glare:
        reasons.append(GLARE)
    if p95 < thresholds.min_highlights:
        reasons.append(TOO_DARK)
    scores = {
        "short_side": float(short_side),
        "sharpness": round(sharp, 4),
        "glare_fraction": round(glare, 5),
        "brightness": round(mean, 1),
        "highlights": p95,
    }
    return failed(name, *reasons, **scores) if reasons else passed(name, **scores)
