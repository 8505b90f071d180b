"""Face detection with dlib's HOG detector on a resized greyscale copy of the image.

HOG cost grows with the pixel count and its smallest face is 80 px, so the detector runs on a copy
whose long side is fixed: that makes the cost independent of the camera (2 MP or 12 MP) and the
smallest findable face a fixed share of the frame (80 / 800 = 10 % for selfies). Small images are
enlarged instead (at most 2x, the same as dlib's one `upsample`), so 150-250 px photos still work.
Greyscale costs a quarter less than RGB and treats printed greyscale portraits like colour ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import dlib
import numpy as np

from kyc.faces._models import models

SELFIE_LONG_SIDE = 800  # ~30 ms per pass on one core; faces >= 10 % of the long side
DOCUMENT_LONG_SIDE = 1600  # ~120 ms; faces >= 5 %, i.e. an ID-card portrait ~150 px tall at 2 MP
MAX_UPSCALE = 2.0  # beyond this an enlarged photo has no detail left for the descriptor anyway
MIN_SCORE = 0.0  # dlib's own default decision threshold for the HOG detector
# HOG places boxes on the 8 px cell grid of the pyramid level that found the face, so a box can be
# off by ~10 % of the face, and the 5-point landmarks (hence the descriptor) start from it. A second
# look at the chosen face, in a crop scaled so that it is REFINE_SIDE px, costs ~10 ms and helped a
# little on the calibration set: FNMR at FMR 0.1 % 1.86 -> 1.55 %, held-out same-person review
# 2.3 -> 1.5 % (bench/face_match.py). The descriptor is still computed on the original pixels.
REFINE_SIDE = 160
REFINE_MARGIN = 0.5  # face sides of context on each side of the crop


@dataclass(frozen=True)
class FaceBox:
    """A face rectangle in original-image pixels (right/bottom exclusive) and the detector's score."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def side(self) -> int:
        return max(self.width, self.height)


def detect_gray(gray: np.ndarray, long_side: int = SELFIE_LONG_SIDE) -> list[FaceBox]:
    """Faces in a greyscale image, largest first, detected on a copy resized to `long_side`."""
    height, width = gray.shape[:2]
    scale = min(long_side / max(height, width), MAX_UPSCALE)
    small = gray
    if abs(scale - 1.0) <= 0.02:
        scale = 1.0  # not worth a resize (and the boxes must then be mapped with 1.0, not `scale`)
    else:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        # INTER_AREA averages when shrinking (no aliasing); bilinear is enough when enlarging.
        small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    m = models()
    with m.detector_lock:
        rects, scores, _ = m.detector.run(np.ascontiguousarray(small), 0, MIN_SCORE)
    boxes = [_to_original(r, s, scale, width, height) for r, s in zip(rects, scores, strict=True)]
    return sorted((b for b in boxes if b.width > 0 and b.height > 0), key=lambda b: b.side, reverse=True)


def refine_box(gray: np.ndarray, box: FaceBox) -> FaceBox:
    """Re-detect one face in a crop around `box` scaled to REFINE_SIDE px (~10 ms), for a better
    landmark start; `box` itself when the crop finds no face overlapping it."""
    height, width = gray.shape[:2]
    margin = round(box.side * REFINE_MARGIN)
    x0, y0 = max(0, box.left - margin), max(0, box.top - margin)
    x1, y1 = min(width, box.right + margin), min(height, box.bottom + margin)
    scale = REFINE_SIDE / max(1, box.side)
    crop = gray[y0:y1, x0:x1]
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    m = models()
    with m.detector_lock:
        rects, scores, _ = m.detector.run(np.ascontiguousarray(crop), 0, MIN_SCORE)
    found = zip(rects, scores, strict=True)
    candidates = [_shift(_to_original(r, s, scale, x1 - x0, y1 - y0), x0, y0) for r, s in found]
    best = max(candidates, key=lambda c: _iou(c, box), default=None)
    return best if best is not None and _iou(best, box) >= 0.3 else box


def _shift(box: FaceBox, dx: int, dy: int) -> FaceBox:
    return FaceBox(box.left + dx, box.top + dy, box.right + dx, box.bottom + dy, box.score)


def _iou(a: FaceBox, b: FaceBox) -> float:
    w = min(a.right, b.right) - max(a.left, b.left)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a.width * a.height + b.width * b.height - inter)


def _to_original(rect: dlib.rectangle, score: float, scale: float, width: int, height: int) -> FaceBox:
    # dlib rectangles are inclusive and may reach past the border; clamp into the image.
    return FaceBox(
        left=min(max(0, round(rect.left() / scale)), width),
        top=min(max(0, round(rect.top() / scale)), height),
        right=min(max(0, round((rect.right() + 1) / scale)), width),
        bottom=min(max(0, round((rect.bottom() + 1) / scale)), height),
        score=float(score),
    )
