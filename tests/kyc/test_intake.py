"""Upload normalisation: every input is generated here with Pillow, never committed as a binary."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, JpegImagePlugin
from PIL.PngImagePlugin import PngInfo

from kyc import intake
from kyc.intake import NormalizedImage, UploadRejected, normalize_upload

MB = 1024 * 1024
LIMITS: dict[str, Any] = {"max_bytes": 15 * MB, "max_pixels": 50_000_000}
MAKE = "AcmePhoneMakerXYZ"
MODEL = "SecretModel-4711"


# --- builders ---------------------------------------------------------------------------------------


def photo(width: int = 640, height: int = 480, seed: int = 0) -> Image.Image:
    """Gradients plus mild noise: compresses like a photo, not like random bytes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], axis=-1)
    return Image.fromarray(np.clip(base + rng.integers(0, 24, base.shape), 0, 255).astype(np.uint8))


def halves(width: int, height: int) -> Image.Image:
    """Left half pure red, right half pure blue: orientation is readable from two pixels."""
    arr = np.zeros((height, width, 3), np.uint8)
    arr[:, : width // 2] = (255, 0, 0)
    arr[:, width // 2 :] = (0, 0, 255)
    return Image.fromarray(arr)


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width: int, height: int, idat: bytes | None = None) -> bytes:
    """A tiny, well-formed PNG (valid CRCs) whose IHDR declares `width` x `height` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat if idat is not None else zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 header is patched to declare another size."""
    data = bytearray(encode(photo(64, 48), "JPEG", quality=80))
    sof = data.index(b"\xff\xc0")
    assert struct.unpack(">HH", data[sof + 5 : sof + 9]) == (48, 64)  # the patch hits the right bytes
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_segments(data: bytes) -> list[int]:
    """Marker bytes of the segments before the first scan (SOI excluded)."""
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


def rejected(data: bytes, **limits: Any) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        normalize_upload(data, **{**LIMITS, **limits})
    return info.value


def reopen(result: NormalizedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.content))
    image.load()
    return image


# --- accepted inputs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 90})],
)
def test_good_images_are_reencoded_as_clean_jpeg(fmt: str, params: dict[str, Any]) -> None:
    source = photo(640, 480)
    result = normalize_upload(encode(source, fmt, **params), **LIMITS)

    assert result.source_format == fmt
    assert result.content_type == "image/jpeg"
    assert result.content.startswith(b"\xff\xd8\xff")
    assert (result.width, result.height) == (640, 480)
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    out = reopen(result)
    assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (640, 480))
    # Same picture: mean absolute error of a q92 re-encode stays small.
    diff = np.abs(np.asarray(out, np.int16) - np.asarray(source, np.int16)).mean()
    assert diff < 6


def test_alpha_is_flattened_onto_white() -> None:
    rgba = np.zeros((100, 200, 4), np.uint8)
    rgba[:, :100] = (0, 128, 0, 255)  # opaque green on the left, fully transparent on the right
    result = normalize_upload(encode(Image.fromarray(rgba, "RGBA"), "PNG"), **LIMITS)

    out = np.asarray(reopen(result), np.int16)
    assert np.abs(out[50, 150] - (255, 255, 255)).max() <= 3
    assert np.abs(out[50, 40] - (0, 128, 0)).max() <= 6


def test_sixteen_bit_greyscale_keeps_its_levels() -> None:
    grey16 = Image.fromarray(np.full((40, 60), 40000, np.uint16))
    out = np.asarray(reopen(normalize_upload(encode(grey16, "PNG"), **LIMITS)))
    assert abs(int(out[20, 30, 0]) - 40000 // 256) <= 2  # not clipped to white


@pytest.mark.parametrize("max_side", [3200, 300], ids=["kept-size", "downscaled"])
def test_exif_orientation_applied_and_all_metadata_removed(max_side: int) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # display rotated 90 degrees clockwise
    exif[ExifTags.Base.Make] = MAKE
    exif[ExifTags.Base.Model] = MODEL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (24.0, 51.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (67.0, 0.0, 36.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        halves(400, 200),
        "JPEG",
        quality=95,
        exif=exif.tobytes(),
        icc_profile=icc,
        comment=b"shot at home",
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
    )
    # The input really carries what must disappear, so the assertions below can fail.
    assert MAKE.encode() in data and b"shot at home" in data and b"ICC_PROFILE" in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    result = normalize_upload(data, **LIMITS, max_side=max_side)

    scale = min(1.0, max_side / 400)
    assert (result.width, result.height) == (round(200 * scale), round(400 * scale))  # portrait now
    out = reopen(result)
    rgb = np.asarray(out, np.int16)
    top, bottom, middle = result.height // 8, result.height * 7 // 8, result.width // 2
    assert rgb[top, middle, 0] > 200 and rgb[top, middle, 2] < 60  # former left (red) is now on top
    assert rgb[bottom, middle, 2] > 200 and rgb[bottom, middle, 0] < 60  # former right (blue) below
    assert len(out.getexif()) == 0
    assert not out.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(out.info)
    needles = (MAKE.encode(), MODEL.encode(), b"Exif\x00\x00", b"ICC_PROFILE", b"shot at home", b"xmpmeta")
    for needle in needles:
        assert needle not in result.content
    # JFIF header, tables, frame header and nothing else before the scan.
    assert set(jpeg_segments(result.content)) <= {0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}


def test_png_text_and_exif_are_not_carried_over() -> None:
    info = PngInfo()
    info.add_text("Author", MAKE)
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = MODEL
    data = encode(photo(120, 80), "PNG", pnginfo=info, exif=exif.tobytes())
    assert MAKE.encode() in data and MODEL.encode() in data

    content = normalize_upload(data, **LIMITS).content
    assert MAKE.encode() not in content and MODEL.encode() not in content


def test_large_jpeg_is_drafted_then_downscaled(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded_sizes: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: Any, size: Any) -> Any:
        result = real_draft(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    result = normalize_upload(encode(photo(2000, 1000), "JPEG", quality=85), **LIMITS, max_side=800)

    assert (result.width, result.height) == (800, 400)
    assert decoded_sizes == [(1000, 500)]  # libjpeg decoded at 1/2 scale, which still covers 800 px


def test_png_downscaled_to_max_side_keeps_aspect() -> None:
    result = normalize_upload(encode(photo(1000, 250), "PNG"), **LIMITS, max_side=400)
    assert (result.width, result.height) == (400, 100)
    assert reopen(result).size == (400, 100)


def test_multi_picture_jpeg_uses_the_first_picture() -> None:
    first, second = halves(120, 80), Image.new("RGB", (120, 80), (0, 255, 0))
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    result = normalize_upload(data, **LIMITS)
    assert result.source_format == "JPEG"
    rgb = np.asarray(reopen(result), np.int16)
    assert rgb[40, 20, 0] > 200 and rgb[40, 20, 1] < 60  # red from the first picture, not green


# --- refused inputs -----------------------------------------------------------------------------------------


def test_empty_file() -> None:
    assert rejected(b"").code == "file_empty"


def test_too_large_is_refused_before_parsing() -> None:
    data = encode(photo(), "JPEG")
    assert rejected(data, max_bytes=len(data) - 1).code == "file_too_large"
    # Garbage over the cap is refused for its size: nothing was sniffed or parsed.
    error = rejected(b"\x00" * 2048, max_bytes=1024)
    assert (error.code, error.details) == ("file_too_large", {"max_bytes": 1024})
    assert normalize_upload(data, **{**LIMITS, "max_bytes": len(data)}).width == 640  # the cap is inclusive


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (encode(photo(32, 32), "GIF"), "gif"),
        (encode(photo(32, 32), "BMP"), "bmp"),
        (encode(photo(32, 32), "TIFF"), "tiff"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n", "pdf"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "heif"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "svg"),
        (b"just some text, renamed to photo.jpg\n" * 10, "unknown"),
        (np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes(), "unknown"),
    ],
    ids=["gif", "bmp", "tiff", "pdf", "heic", "svg", "text", "random"],
)
def test_unsupported_types(data: bytes, detected: str) -> None:
    error = rejected(data)
    assert error.code == "file_type_not_supported"
    assert error.details == {"detected": detected}


def test_png_signature_on_garbage_is_not_supported() -> None:
    data = b"\x89PNG\r\n\x1a\n" + np.random.default_rng(2).integers(0, 256, 2048, dtype=np.uint8).tobytes()
    assert rejected(data).code == "file_type_not_supported"


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animated_images_are_refused(fmt: str) -> None:
    frames = [Image.new("RGB", (64, 64), (40 * i, 0, 0)) for i in range(3)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3

    error = rejected(data)
    assert (error.code, error.details) == ("file_type_not_supported", {"reason": "animated"})


@pytest.mark.parametrize("load_truncated", [False, True], ids=["pillow-default", "pillow-lenient"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_corrupt(
    fmt: str, load_truncated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pillow's process-wide leniency flag must not let a half upload through.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", load_truncated)
    data = encode(photo(640, 480), fmt)
    assert normalize_upload(data, **LIMITS).width == 640  # whole, it is fine
    assert rejected(data[: len(data) // 2]).code == "image_corrupt"


def test_jpeg_missing_only_its_end_marker_is_corrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = encode(photo(320, 240), "JPEG")
    assert data.endswith(b"\xff\xd9")
    assert rejected(data[:-2]).code == "image_corrupt"


def test_corrupt_png_data_is_corrupt() -> None:
    # Complete framing and valid CRCs, but the IDAT is not a zlib stream.
    assert rejected(png_declaring(64, 64, idat=b"definitely not zlib" * 4)).code == "image_corrupt"


@pytest.mark.parametrize(
    ("data", "max_pixels"),
    [
        (png_declaring(100_000, 100_000), 50_000_000),  # 10^10 px: Pillow's own guard trips first
        (png_declaring(5_000, 5_000), 10_000_000),  # 25 MP: under Pillow's guard, over ours
        (jpeg_declaring(65_000, 65_000), 50_000_000),
        (jpeg_declaring(5_000, 4_000), 10_000_000),
    ],
    ids=["png-10G", "png-25M", "jpeg-4G", "jpeg-20M"],
)
def test_declared_pixel_count_is_refused_before_decoding(
    data: bytes, max_pixels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decode(self: Any) -> Any:
        raise AssertionError("pixel data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    assert len(data) < 2000
    start = time.perf_counter()
    error = rejected(data, max_pixels=max_pixels)
    assert error.code == "image_too_many_pixels"
    assert time.perf_counter() - start < 0.5


def test_pixel_limit_is_inclusive() -> None:
    data = encode(photo(100, 50), "PNG")
    assert normalize_upload(data, **{**LIMITS, "max_pixels": 5000}).width == 100
    assert rejected(data, max_pixels=4999).code == "image_too_many_pixels"


def test_rejection_carries_no_content() -> None:
    data = encode(photo(64, 64), "JPEG", comment=MAKE.encode())
    error = rejected(data[:300])
    assert MAKE not in str(error) and MAKE not in repr(error.details)
    assert error.message and error.code in str(error)


def test_module_does_not_depend_on_django() -> None:
    with open(intake.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert "django" not in source.lower()
