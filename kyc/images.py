"""The decoded form of an image that every check works on.

Documents are stored normalised (see `kyc/intake.py`); the pipeline decrypts each one and decodes it
exactly once into a `DecodedImage`, which is then shared by every check.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image


@dataclass(frozen=True, slots=True, eq=False)
class DecodedImage:
    rgb: np.ndarray  # H x W x 3, uint8, RGB order
    gray: np.ndarray  # H x W, uint8

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @classmethod
    def from_pil(cls, image: Image.Image) -> DecodedImage:
        rgb = np.asarray(image.convert("RGB"))
        return cls(rgb=rgb, gray=cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def decode(data: bytes) -> DecodedImage:
    """Decode already-normalised image bytes (trusted: they passed intake)."""
    with Image.open(io.BytesIO(data)) as image:
        return DecodedImage.from_pil(image)
