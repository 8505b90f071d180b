"""Document intake over HTTP: every bad upload is a clear 4xx and leaves nothing stored."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient

from tests.api.test_verifications import create, upload
from tests.images import encode, jpeg, photo, png_declaring
from verification.crypto import Sealed, unseal
from verification.models import Document

pytestmark = pytest.mark.django_db


def stored_keys(s3: Any, bucket: str) -> set[str]:
    return {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def exif_with_gps() -> bytes:
    image = photo(1200, 900)
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    exif[0x0110] = "Model-X-42"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    exif.get_ifd(0x8825)[2] = (33.0, 41.0, 0.0)  # GPSLatitude
    return encode(image, "JPEG", quality=90, exif=exif.tobytes())


BAD_UPLOADS = [
    ("empty", b"", 400, "file_empty"),
    ("gif", encode(photo(64, 64), "GIF"), 415, "file_type_not_supported"),
    ("pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", 415, "file_type_not_supported"),
    ("text", b"hello, I am not an image", 415, "file_type_not_supported"),
    ("truncated_jpeg", jpeg()[:5000], 400, "image_corrupt"),
    ("truncated_png", encode(photo(400, 300), "PNG")[:3000], 400, "image_corrupt"),
    ("png_bomb", png_declaring(100_000, 100_000), 400, "image_too_many_pixels"),
]


@pytest.mark.parametrize(("label", "data", "status", "code"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_upload_is_refused_and_nothing_is_stored(
    api: APIClient, s3: Any, document_bucket: str, label: str, data: bytes, status: int, code: str
) -> None:
    body = create(api)
    before = stored_keys(s3, document_bucket)
    response = upload(api, body["id"], "id_front", data)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not Document.objects.filter(verification_id=body["id"]).exists()
    assert stored_keys(s3, document_bucket) == before


def test_pixel_bomb_jpeg_is_refused(api: APIClient) -> None:
    body = create(api)
    with override_settings(UPLOAD_MAX_PIXELS=1_000_000):
        response = upload(api, body["id"], "selfie", jpeg(1600, 1200))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "image_too_many_pixels"


def test_over_the_byte_cap_is_413(api: APIClient, s3: Any, document_bucket: str) -> None:
    body = create(api)
    before = stored_keys(s3, document_bucket)
    with override_settings(UPLOAD_MAX_BYTES=50_000):
        response = upload(api, body["id"], "selfie", jpeg(1600, 1200))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert stored_keys(s3, document_bucket) == before


def test_unknown_kind_and_missing_file_are_validation_errors(api: APIClient) -> None:
    body = create(api)
    response = upload(api, body["id"], "passport_back", jpeg())
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["details"]["fields"]
    response = api.post(f"/v1/verifications/{body['id']}/files", {"kind": "selfie"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]["fields"]


def test_stored_object_is_ciphertext_of_the_metadata_free_reencoding(
    api: APIClient, s3: Any, document_bucket: str
) -> None:
    body = create(api)
    original = exif_with_gps()
    response = upload(api, body["id"], "id_front", original)
    assert response.status_code == 201, response.content
    file_info = response.json()
    # EXIF orientation 6 was applied: the 1200x900 landscape is stored as a 900x1200 portrait.
    assert (file_info["width"], file_info["height"]) == (900, 1200)

    document = Document.objects.get(verification_id=body["id"])
    ciphertext = s3.get_object(Bucket=document_bucket, Key=document.storage_key)["Body"].read()
    assert ciphertext != original
    assert b"JFIF" not in ciphertext and b"Exif" not in ciphertext and b"\xff\xd8\xff" not in ciphertext[:16]

    plaintext = unseal(
        Sealed(ciphertext=ciphertext, key_id=document.key_id, wrapped_key=bytes(document.wrapped_key)),
        context=document.id.bytes,
    )
    assert hashlib.sha256(plaintext).hexdigest() == document.sha256 == file_info["sha256"]
    assert b"SecretPhoneMaker" not in plaintext and b"Model-X-42" not in plaintext
    with Image.open(io.BytesIO(plaintext)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (900, 1200)
        assert len(stored.getexif()) == 0
        assert "icc_profile" not in stored.info


def test_the_database_never_holds_the_image(api: APIClient) -> None:
    body = create(api)
    data = jpeg()
    upload(api, body["id"], "selfie", data)
    document = Document.objects.get(verification_id=body["id"])
    row_bytes = b"".join(
        value if isinstance(value, bytes) else str(value).encode()
        for value in Document.objects.filter(pk=document.pk).values_list().get()
    )
    assert len(row_bytes) < 1000  # metadata and a 40-byte wrapped key, not an image
