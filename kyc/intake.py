"""Upload normalisation: the gate every image passes before it is encrypted and stored.

`normalize_upload` turns untrusted client bytes into a bounded, metadata-free JPEG, or raises
`UploadRejected` with one of these stable codes (details never hold image content or personal data):

- `file_empty`: zero bytes.
- `file_too_large`: more than `max_bytes`; checked before a single byte is parsed.
- `file_type_not_supported`: the type sniffed from the bytes (never a filename or a client content
  type) is not JPEG, PNG or WebP, or Pillow cannot identify it as one; also animated images
  (animated WebP, APNG: `details["reason"] == "animated"`), since a capture is one still frame.
  A multi-picture JPEG (MPO: phones store depth maps and gain maps that way) is a JPEG; its first
  picture, the photo itself, is used.
- `image_too_many_pixels`: the width x height declared in the header exceeds `max_pixels`; decided
  from the header, before any pixel data is decoded. Pillow's own bomb guard
  (`DecompressionBombError`, or its warning when warnings are errors) maps here too.
- `image_corrupt`: the stream is cut short or the decoder fails in any way.

Order matters for safety: size cap, magic bytes, header parse (by that one plugin only), declared
pixel count, frame count, a structural check that the stream is complete, then one decode.
Truncation is detected by our own walk of the PNG chunks / JPEG markers / RIFF size rather than by
Pillow, whose process-wide `ImageFile.LOAD_TRUNCATED_IMAGES` (if anyone sets it) would otherwise turn
a half-received upload into a grey-padded "valid" image. Nothing here touches process-wide state
(warning filters, Pillow globals): uploads are normalised concurrently in threads.

Colour: an embedded ICC profile is dropped without conversion (values are read as sRGB). The hue
shift of e.g. Display P3 is irrelevant to the checks, and it keeps attacker-supplied ICC data away
from LittleCMS.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

FILE_EMPTY = "file_empty"
FILE_TOO_LARGE = "file_too_large"
FILE_TYPE_NOT_SUPPORTED = "file_type_not_supported"
IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
IMAGE_CORRUPT = "image_corrupt"

CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 92

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UNSUPPORTED_MESSAGE = "Only JPEG, PNG and WebP images are accepted."
_CORRUPT_MESSAGE = "The image is damaged or incomplete and cannot be read."
# A real JPEG has tens of marker segments outside its scans; a file of millions of empty markers is
# only there to burn CPU in the walk below.
_MAX_JPEG_SEGMENTS = 10_000
# Inside entropy-coded data 0xFF is always followed by a 0x00 stuffing byte or a restart marker;
# anything else is the next real marker.
_JPEG_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# Segments Pillow writes for a bare baseline JPEG: JFIF header, quantisation and Huffman tables,
# frame header, restart interval. No APPn other than JFIF, no comment: nothing that can carry data.
_CLEAN_JPEG_MARKERS = frozenset({0xE0, 0xDB, 0xC0, 0xC4, 0xDD})
# The same table as `ImageOps.exif_transpose`; applied by hand after the downscale so the transpose
# touches at most max_side^2 pixels, and so a malformed EXIF block cannot fail the upload.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class UploadRejected(Exception):
    """A stable `code` for the API, a `message` safe to show, and `details` free of personal data."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details


@dataclass(frozen=True, slots=True)
class NormalizedImage:
    content: bytes = field(repr=False)
    content_type: str
    width: int
    height: int
    sha256: str
    source_format: str  # "JPEG" | "PNG" | "WEBP"


def normalize_upload(
    data: bytes, *, max_bytes: int, max_pixels: int, max_side: int = 3200
) -> NormalizedImage:
    """Validate untrusted image bytes and re-encode them as a clean JPEG (see the module docstring).

    The result is EXIF-oriented, RGB (alpha flattened onto white), at most `max_side` px on its
    long side, JPEG quality 92, with no EXIF, GPS, make/model, ICC, XMP or comment; its width and
    height are those of the stored JPEG.
    """
    if not data:
        raise UploadRejected(FILE_EMPTY, "The file is empty.")
    if len(data) > max_bytes:
        raise UploadRejected(FILE_TOO_LARGE, "The file is larger than the upload limit.", max_bytes=max_bytes)
    fmt = _sniff(data)
    if fmt is None:
        raise UploadRejected(FILE_TYPE_NOT_SUPPORTED, _UNSUPPORTED_MESSAGE, detected=_describe(data))

    with _open(data, fmt) as image:
        _check_header(image, fmt, max_pixels)
        if not _is_complete(data, fmt):
            raise UploadRejected(IMAGE_CORRUPT, _CORRUPT_MESSAGE)
        out = _decode(image, fmt, max_side)

    # `out` is a new image made by convert/resize: clearing its info leaves the encoder nothing to
    # copy (Pillow carries `info["comment"]` over into a JPEG by default).
    out.info.clear()
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    content = buffer.getvalue()
    _assert_no_metadata(content)
    return NormalizedImage(
        content=content,
        content_type=CONTENT_TYPE,
        width=out.width,
        height=out.height,
        sha256=hashlib.sha256(content).hexdigest(),
        source_format=fmt,
    )


# --- type ----------------------------------------------------------------------------


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _describe(data: bytes) -> str:
    """A coarse name for a refused file, so the API can say "HEIC is not supported"."""
    head = data[:256]
    for magic, name in (
        (b"GIF8", "gif"),
        (b"%PDF", "pdf"),
        (b"BM", "bmp"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
    ):
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"):
            return "heif"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<?xml", b"<svg")) or b"<svg" in lowered:
        return "svg"
    return "unknown"


# --- header --------------------------------------------------------------------------


def _open(data: bytes, fmt: str) -> Image.Image:
    """Parse the header with the one plugin the magic bytes named; no pixel data is decoded here."""
    try:
        return Image.open(io.BytesIO(data), formats=(fmt,))
    except UnidentifiedImageError:
        raise UploadRejected(FILE_TYPE_NOT_SUPPORTED, _UNSUPPORTED_MESSAGE, detected="unknown") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow refused the declared size (the warning only arrives as an exception under -W error).
        raise UploadRejected(IMAGE_TOO_MANY_PIXELS, "The image has too many pixels.") from None
    except MemoryError:
        raise
    except Exception as exc:  # any other parser failure is the file's fault, never a 500
        logger.info("upload header unreadable: %s", type(exc).__name__)
        raise UploadRejected(IMAGE_CORRUPT, _CORRUPT_MESSAGE) from None


def _check_header(image: Image.Image, fmt: str, max_pixels: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise UploadRejected(IMAGE_CORRUPT, _CORRUPT_MESSAGE)
    if width * height > max_pixels:
        raise UploadRejected(
            IMAGE_TOO_MANY_PIXELS,
            "The image has too many pixels.",
            max_pixels=max_pixels,
            width=width,
            height=height,
        )
    # n_frames comes from the animation header (acTL, ANIM), not from decoding frames.
    if fmt != "JPEG" and getattr(image, "n_frames", 1) != 1:
        raise UploadRejected(FILE_TYPE_NOT_SUPPORTED, "Animated images are not accepted.", reason="animated")


# --- completeness --------------------------------------------------------------------


def _is_complete(data: bytes, fmt: str) -> bool:
    if fmt == "PNG":
        return _png_complete(data)
    if fmt == "WEBP":
        riff_size = int.from_bytes(data[4:8], "little")
        return riff_size >= 4 and len(data) >= 8 + riff_size
    return any(marker == 0xD9 for marker, _ in _jpeg_markers(data))


def _png_complete(data: bytes) -> bool:
    """Walk the chunk framing (lengths only, no CRC or inflate) until IEND; False if it runs out."""
    pos, end_of_data = len(_PNG_SIGNATURE), len(data)
    while pos + 12 <= end_of_data:
        length = int.from_bytes(data[pos : pos + 4], "big")
        if length > 0x7FFFFFFF:  # the PNG spec's limit
            return False
        if data[pos + 4 : pos + 8] == b"IEND":
            return True
        pos += 12 + length
    return False


def _jpeg_markers(data: bytes) -> Iterator[tuple[int, int]]:
    """Yield (marker, offset of its payload) up to and including EOI, skipping scan data.

    Tolerant like libjpeg (stray bytes between segments are skipped) but strict about length: it
    simply stops when the data runs out, so "no EOI seen" means "cut short".
    """
    pos, end_of_data = 2, len(data)
    for _ in range(_MAX_JPEG_SEGMENTS):
        pos = data.find(b"\xff", pos)
        if pos < 0:
            return
        while pos < end_of_data and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end_of_data:
            return
        marker = data[pos]
        pos += 1
        yield marker, pos
        if marker == 0xD9:
            return
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xD7:  # no payload
            continue
        if pos + 2 > end_of_data:
            return
        pos += int.from_bytes(data[pos : pos + 2], "big")
        if pos > end_of_data:
            return
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            found = _JPEG_MARKER_AFTER_SCAN.search(data, pos)
            if found is None:
                return
            pos = found.start()


def _assert_no_metadata(content: bytes) -> None:
    """Verify what we are about to store: only bare-JPEG segments before the first scan.

    Clearing `info` is what keeps metadata out; this catches a future Pillow that starts copying
    something by default. It is our bug then, not the client's, hence not an UploadRejected.
    """
    for marker, _ in _jpeg_markers(content):
        if marker == 0xDA:
            return
        if marker not in _CLEAN_JPEG_MARKERS:
            raise RuntimeError(f"re-encoded JPEG carries marker 0xFF{marker:02X}; refusing to store it")
    raise RuntimeError("re-encoded JPEG has no scan")


# --- decode --------------------------------------------------------------------------


def _decode(image: Image.Image, fmt: str, max_side: int) -> Image.Image:
    """Decode once, flatten to RGB, shrink to `max_side`, orient. Any failure -> image_corrupt."""
    try:
        if fmt == "JPEG" and max(image.size) >= 2 * max_side:
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale for a fraction of the time; ask for the
            # smallest scale that still leaves the long side >= max_side, then `_shrink` the rest.
            s = max_side / max(image.size)
            image.draft("RGB", (max(1, math.ceil(image.width * s)), max(1, math.ceil(image.height * s))))
        image.load()
        orientation = _orientation(image)
        # Plain RGB needs no conversion: resizing it makes the fresh copy anyway (a 12 MP copy is
        # ~30 ms). Either way `out` is a new image, never the parsed file with its info.
        plain = image.mode == "RGB" and "transparency" not in image.info
        if max(image.size) > max_side:
            s = max_side / max(image.size)
            size = (max(1, round(image.width * s)), max(1, round(image.height * s)))
            out = _shrink(image if plain else _to_rgb(image), size)
        else:
            out = image.copy() if plain else _to_rgb(image)
        if orientation in _ORIENTATION_TRANSPOSE:
            out = out.transpose(_ORIENTATION_TRANSPOSE[orientation])
        return out
    except MemoryError:
        raise
    except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, struct.error...
        logger.info("upload pixel data unreadable: %s", type(exc).__name__)
        raise UploadRejected(IMAGE_CORRUPT, _CORRUPT_MESSAGE) from None


def _shrink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Downscale an RGB image: exact integer box reduction while the factor is >= 2, then bicubic.

    Pillow's Lanczos costs ~330 ms for 12 MP -> 3200 px on our 2-core box; this path ~70 ms, and its
    output is within 52-56 dB PSNR of Lanczos for factors 1.03-1.95 (bicubic aliases little below 2x,
    and the integer reduce has already averaged away anything above that).
    """
    factor = int(image.width / size[0])
    if factor >= 2:
        image = image.reduce(factor)
    return Image.fromarray(cv2.resize(np.asarray(image), size, interpolation=cv2.INTER_CUBIC))


def _orientation(image: Image.Image) -> int:
    """EXIF (or XMP) orientation, 1 when absent or unreadable: a broken EXIF block is discarded anyway."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # malformed EXIF: Pillow raises assorted errors; keep the pixels as stored
        return 1
    return value if isinstance(value, int) else 1


def _to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: convert("L") would clip everything above 255 to white.
        values = np.asarray(image, dtype=np.uint32) >> 8
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
