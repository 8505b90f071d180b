"""Every reason code of the checks, asserted through the HTTP API with a real worker deciding."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from rest_framework.test import APIClient

from bench.degrade import add_glare, darken, gaussian_blur
from tests.images import photo
from tests.specimens.captures import passport_photo, selfie_jpeg
from tests.specimens.documents import (
    SpecimenPerson,
    cnic_person,
    photographed,
    render_cnic_front,
    render_id_card_front,
    td3_mrz,
    to_jpeg,
    with_bad_check_digit,
)
from tests.specimens.faces import PEOPLE, face_photo, two_face_photo
from verification.models import Tenant
from verification.services.tenants import tenant_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = date.today()
ADULT = SpecimenPerson()
A, B = PEOPLE[0], PEOPLE[1]


def passport(person: SpecimenPerson = ADULT, face: str | None = A, **kwargs: Any) -> Image.Image:
    return passport_photo(person, face, seed=3, **kwargs)


def jpeg_of(image: Image.Image | np.ndarray) -> bytes:
    return to_jpeg(image if isinstance(image, Image.Image) else Image.fromarray(image))


def selfie(face: str = A) -> bytes:
    return selfie_jpeg(face)


def run(tenant_key: str, front: bytes, selfie_bytes: bytes, subject: str = "seller") -> dict[str, Any]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant_key}")
    vid = client.post("/v1/verifications", {"subject": subject, "type": "document"}, format="json").json()[
        "id"
    ]
    for kind, data in (("id_front", front), ("selfie", selfie_bytes)):
        response = client.post(
            f"/v1/verifications/{vid}/files", {"kind": kind, "file": _file(data)}, format="multipart"
        )
        assert response.status_code == 201, response.content
    assert client.post(f"/v1/verifications/{vid}/submit").status_code == 202
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(f"/v1/verifications/{vid}").json()
        if body["status"] != "processing":
            return dict(body)
        time.sleep(0.1)
    raise AssertionError("no decision in time")


def _file(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("capture.jpg", data, content_type="image/jpeg")


def codes(body: dict[str, Any]) -> set[str]:
    return {code for check in body["checks"] for code in check["reasons"]}


@pytest.fixture
def key(celery_worker_process: Path) -> str:
    return tenant_create(slug="checks", min_age=18)[1]


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).copy()


@pytest.mark.parametrize(
    ("label", "front", "code"),
    [
        ("small", lambda: jpeg_of(passport().resize((400, 300))), "image_too_small"),
        ("blurry", lambda: jpeg_of(gaussian_blur(as_array(passport()), 0.006)), "image_too_blurry"),
        (
            "glare",
            lambda: jpeg_of(add_glare(as_array(passport()), radius_frac=0.12, peak=2.5)),
            "image_glare",
        ),
        ("dark", lambda: jpeg_of(darken(as_array(passport()), gain=0.15)), "image_too_dark"),
    ],
)
def test_quality_problems_ask_for_a_new_photo(key: str, label: str, front: Any, code: str) -> None:
    body = run(key, front(), selfie())
    assert body["status"] == "requires_input", body
    assert code in codes(body)
    assert body["last_error"]["step"] == "id_front"
    assert body["last_error"]["retryable"] is True


@pytest.mark.parametrize(
    ("label", "selfie_image", "code"),
    [
        ("no_face", lambda: to_jpeg(photo(960, 1280, seed=5)), "face_not_found"),
        ("two_faces", lambda: to_jpeg(two_face_photo()), "multiple_faces"),
    ],
)
def test_selfie_face_problems_ask_for_a_new_selfie(
    key: str, label: str, selfie_image: Any, code: str
) -> None:
    body = run(key, jpeg_of(passport()), selfie_image())
    assert body["status"] == "requires_input", body
    assert body["last_error"]["code"] == code
    assert body["last_error"]["step"] == "selfie"


def test_document_without_portrait(key: str) -> None:
    body = run(key, jpeg_of(passport(face=None)), selfie())
    assert body["status"] == "requires_input", body
    assert body["last_error"]["code"] == "document_face_not_found"


def test_someone_elses_document_is_rejected(key: str) -> None:
    body = run(key, jpeg_of(passport(face=A)), selfie(B))
    assert body["status"] == "rejected", body
    assert body["last_error"]["code"] == "selfie_face_mismatch"


def test_unreadable_document(key: str) -> None:
    card = photographed(render_id_card_front(ADULT, portrait=face_photo(A)), seed=2, megapixels=2.0)
    body = run(key, jpeg_of(card), selfie())
    assert body["status"] == "requires_input", body
    assert body["last_error"]["code"] == "document_unreadable"


def test_tampered_mrz_is_rejected(key: str) -> None:
    lines = with_bad_check_digit(td3_mrz(ADULT), line=1, position=9)
    body = run(key, jpeg_of(passport(mrz_lines=lines)), selfie())
    assert body["status"] == "rejected", body
    assert body["last_error"]["code"] == "document_invalid_mrz"


def test_expired_document_asks_for_another(key: str) -> None:
    expired = replace(ADULT, expiry_date=date(TODAY.year - 1, 1, 15), issue_date=date(TODAY.year - 11, 1, 15))
    body = run(key, jpeg_of(passport(expired)), selfie())
    assert body["status"] == "requires_input", body
    assert body["last_error"]["code"] == "document_expired"


def test_document_type_not_allowed_by_the_tenant(key: str) -> None:
    Tenant.objects.filter(slug="checks").update(policy={"allowed_document_types": ["id_card"]})
    body = run(key, jpeg_of(passport()), selfie())
    assert body["status"] == "requires_input", body
    assert body["last_error"]["code"] == "document_type_not_allowed"


def test_under_age_is_rejected(key: str) -> None:
    minor = replace(ADULT, birth_date=date(TODAY.year - 15, 3, 1))
    body = run(key, jpeg_of(passport(minor)), selfie())
    assert body["status"] == "rejected", body
    assert body["last_error"]["code"] == "under_minimum_age"
    assert body["derived"] == {}


def test_same_document_for_another_subject_goes_to_review(key: str) -> None:
    first = run(key, jpeg_of(passport()), selfie(), subject="seller-a")
    assert first["status"] == "verified", first
    again = run(key, jpeg_of(passport()), selfie(), subject="seller-a")
    assert again["status"] == "verified", again  # the same subject re-verifying is no duplicate
    second = run(key, jpeg_of(passport()), selfie(), subject="seller-b")
    assert second["status"] == "needs_review", second
    assert "duplicate_identity" in codes(second)


def test_cnic_front_verifies_and_a_bad_cnic_number_is_rejected(key: str) -> None:
    good = photographed(render_cnic_front(cnic_person(), portrait=face_photo(A)), seed=9, megapixels=2.0)
    body = run(key, jpeg_of(good), selfie(), subject="cnic-holder")
    assert body["status"] == "verified", body
    assert body["verified_outputs"]["issuing_state"] == "PAK"
    bad = photographed(
        render_cnic_front(cnic_person("85202-1234567-1"), portrait=face_photo(A)), seed=9, megapixels=2.0
    )
    body = run(key, jpeg_of(bad), selfie(), subject="cnic-holder-2")
    assert body["status"] == "rejected", body
    assert body["last_error"]["code"] == "document_number_invalid"
