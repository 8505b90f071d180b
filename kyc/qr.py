"""Read the attestation QR code off a photo of a membership card (OpenCV's QR detector).

A card is photographed at an angle, a little out of focus, and JPEG-compressed by the phone; the
detector finds the finder patterns and undoes the perspective itself, but it gives up on soft
edges and small codes. So several variants are tried in order until one decodes: the grayscale
image as it is, unsharp-masked (blur), unsharp-masked and upscaled (small, soft modules), Otsu- and
adaptively-binarised (uneven light). Pure: an image in, text (or None) out.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from kyc.images import DecodedImage
from kyc.results import CheckResult, failed, passed, timed

CHECK_NAME = "attestation_qr"
# Long side of the working copy: large enough for a QR filling a fifth of the frame.
_MAX_SIDE = 1600


def _bounded(gray: np.ndarray) -> np.ndarray:
    height, width = gray.shape[:2]
    scale = _MAX_SIDE / max(height, width)
    if scale >= 1:
        return gray
    return cv2.resize(gray, (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)


def _unsharp(gray: np.ndarray) -> np.ndarray:
    """Unsharp mask: restores the module edges a slightly out-of-focus photo softened."""
    soft = cv2.GaussianBlur(gray, (0, 0), 2.0)
    return cv2.addWeighted(gray, 1.8, soft, -0.8, 0)


def _scaled(gray: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _variants(gray: np.ndarray) -> Iterator[np.ndarray]:
    """Cheapest first; measured on blurred, tilted card photos (tests/affiliation.py card_photo):
    the unsharp-masked upscales read most of what the plain image does not."""
    base = _bounded(gray)
    yield base
    sharp = _unsharp(base)
    yield sharp
    yield _scaled(sharp, 1.5)
    yield _scaled(sharp, 3.0)
    _, binary = cv2.threshold(_scaled(sharp, 2.0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    yield binary
    yield _scaled(base, 3.0)
    yield cv2.adaptiveThreshold(
        _scaled(base, 2.0), 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 51, 10
    )


def _decode_one(detector: cv2.QRCodeDetector | cv2.QRCodeDetectorAruco, image: np.ndarray) -> str | None:
    try:
        ok, texts, _points, _straight = detector.detectAndDecodeMulti(image)
    except cv2.error:
        ok, texts = False, ()
    if ok:
        for found in texts:
            if found:
                return str(found)
    try:
        single, _corners, _code = detector.detectAndDecode(image)
    except cv2.error:
        return None
    return str(single) if single else None


def decode_qr(image: DecodedImage) -> str | None:
    """The text of the first QR code found in `image`, or None."""
    # Two detectors: the classic one, and the ArUco-based one, which finds finder patterns that
    # blur has merged with their neighbours (measured: it reads most of what the classic misses).
    detectors = (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco())
    for variant in _variants(image.gray):
        for detector in detectors:
            text = _decode_one(detector, variant)
            if text:
                return text
    return None


@timed
def check_attestation_qr(image: DecodedImage) -> CheckResult:
    """Find the attestation token on the card; the token travels in `data` (never persisted)."""
    text = decode_qr(image)
    if text is None:
        return failed(CHECK_NAME, "attestation_unreadable")
    result = passed(CHECK_NAME)
    return CheckResult(name=result.name, outcome=result.outcome, data={"token": text})
