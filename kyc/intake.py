"""Upload normalisation: the gate every image passes before it is encrypted and stored.

Order matters for safety: the byte cap before anything is parsed, the real type from the bytes,
the declared pixel count from the header before any pixel is decoded (decompression bombs), then
one decode, EXIF orientation applied, and a re-encode that carries no metadata at all (no EXIF, GPS,
device make and model, ICC profile, XMP or comments).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 92


class UploadRejected(Exception):
    """A stable `code` for the API, a message safe to show, and details without personal data."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True, slots=True)
class NormalizedImage:
    content: bytes = field(repr=False)
    content_type: str
    width: int
    height: int
    sha256: str
    source_format: str


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        # Pillow's own bomb guard must not fire before ours; ours is explicit and configurable.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise UploadRejected(
                "file_type_not_supported", "Only JPEG, PNG and WebP images are accepted."
            ) from None
        raise UploadRejected("image_too_many_pixels", "The image has too many pixels.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected("image_corrupt", "The image cannot be read.") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise UploadRejected("image_corrupt", "The image cannot be read.")
    if width * height > max_pixels:
        raise UploadRejected("image_too_many_pixels", "The image has too many pixels.", max_pixels=max_pixels)
    if getattr(image, "n_frames", 1) > 1:
        raise UploadRejected("file_type_not_supported", "Animated images are not accepted.")
    return image


def _decode(image: Image.Image, max_side: int) -> Image.Image:
    if image.format == "JPEG" and max(image.size) > 2 * max_side:
        # Decode at a reduced scale (1/2, 1/4, 1/8) that still leaves at least max_side pixels.
        scale = max_side / max(image.size)
        image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise UploadRejected("image_corrupt", "The image cannot be read.") from exc
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def normalize_upload(
    data: bytes, *, max_bytes: int, max_pixels: int, max_side: int = 3200
) -> NormalizedImage:
    if not data:
        raise UploadRejected("file_empty", "The file is empty.")
    if len(data) > max_bytes:
        raise UploadRejected(
            "file_too_large", "The file is larger than the upload limit.", max_bytes=max_bytes
        )
    image = _open(data, max_pixels)
    source_format = str(image.format)
    try:
        image = _decode(image, max_side)
        try:
            oriented = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, KeyError, TypeError):
            oriented = image  # a broken EXIF block: keep the pixels as stored
        rgb = _to_rgb(oriented if oriented is not None else image)
    finally:
        image.close()
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A fresh image holds pixels only: nothing of the source's info dict (EXIF, ICC, XMP) comes along.
    clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    buffer = io.BytesIO()
    clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=False)
    content = buffer.getvalue()
    return NormalizedImage(
        content=content,
        content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(content).hexdigest(),
        source_format=source_format,
    )
