"""Read the attestation QR code off a photo of a membership card (OpenCV's QR detector).

A card is photographed at an angle, a little out of focus, and JPEG-compressed by the phone; the
detector finds the finder patterns and undoes the perspective itself, but it gives up on soft
edges and small codes. So several cheap variants are tried in order until one decodes: the
grayscale image as it is, upscaled (small codes), lightly sharpened (blur), and binarised with
an adaptive threshold (uneven light). Pure: an image in, text (or None) out.
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


def _variants(gray: np.ndarray) -> Iterator[np.ndarray]:
    base = _bounded(gray)
    yield base
    upscaled = cv2.resize(base, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    yield upscaled
    kernel = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32)
    yield cv2.filter2D(base, -1, kernel)
    yield cv2.filter2D(upscaled, -1, kernel)
    for image in (base, upscaled):
        yield cv2.adaptiveThreshold(image, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 51, 10)


def _decode_one(detector: cv2.QRCodeDetector, image: np.ndarray) -> str | None:
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
    detector = cv2.QRCodeDetector()
    for variant in _variants(image.gray):
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
