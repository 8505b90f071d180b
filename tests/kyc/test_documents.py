"""The document check on rendered specimens (real OCR: RapidOCR models from the wheel, one thread)."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from kyc import ocr
from kyc.documents import check_document, document_kind
from kyc.images import DecodedImage, decode
from kyc.results import Outcome
from tests.specimens.documents import (
    SpecimenPerson,
    cnic_person,
    expired_variant,
    grey_silhouette,
    photographed,
    render_cnic_front,
    render_id_card_back,
    render_id_card_front,
    render_passport_page,
    rotated,
    td1_mrz,
    td3_mrz,
    to_jpeg,
    under_age_variant,
    with_altered_birth_date,
    with_bad_check_digit,
)

TODAY = date(2026, 1, 1)
PERSON = SpecimenPerson(
    surname="OKAFOR",
    given_names="CHIDI JOHN",
    birth_date=date(1988, 2, 29),
    sex="M",
    document_number="X2B4O07Q1",
    nationality="NGA",
    issuing_state="NGA",
    expiry_date=date(2031, 11, 30),
    optional_data="",
)
EXPECTED = {
    "document_number": "X2B4O07Q1",
    "surname": "OKAFOR",
    "given_names": "CHIDI JOHN",
    "nationality": "NGA",
    "issuing_state": "NGA",
    "birth_date": "1988-02-29",
    "sex": "M",
    "expiry_date": "2031-11-30",
}


def _img(image: Image.Image) -> DecodedImage:
    """Through JPEG, as uploads arrive."""
    return decode(to_jpeg(image))


@pytest.fixture(scope="module")
def silhouette() -> Image.Image:
    return grey_silhouette()


@pytest.fixture(scope="module")
def passport(silhouette: Image.Image) -> Image.Image:
    return render_passport_page(PERSON, portrait=silhouette)


@pytest.fixture(scope="module")
def card_front(silhouette: Image.Image) -> Image.Image:
    return render_id_card_front(PERSON, portrait=silhouette)


@pytest.fixture(scope="module")
def card_back() -> Image.Image:
    return render_id_card_back(PERSON)


def _fields(data: dict) -> dict:
    return {k: data.get(k) for k in EXPECTED}


# --- MRZ documents ---------------------------------------------------------------------------------


def test_passport_passes_with_exact_fields(passport: Image.Image) -> None:
    result = check_document(_img(passport), None, today=TODAY)
    assert result.name == "document"
    assert result.outcome is Outcome.PASS, result.summary()
    assert result.reasons == ()
    assert _fields(dict(result.data)) == EXPECTED
    assert result.data["document_type"] == "passport"
    assert result.data["source"] == "mrz"
    assert result.scores["mrz_check_digits_ok"] == 1.0
    assert result.scores["ocr_confidence"] > 0.9
    assert result.duration_ms > 0


def test_td1_card_back_passes(card_front: Image.Image, card_back: Image.Image) -> None:
    result = check_document(_img(card_front), _img(card_back), today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert _fields(dict(result.data)) == EXPECTED
    assert (result.data["document_type"], result.data["mrz_format"]) == ("id_card", "TD1")


def test_td1_back_uploaded_as_the_only_side(card_back: Image.Image) -> None:
    assert check_document(_img(card_back), None, today=TODAY).outcome is Outcome.PASS


def test_long_td1_document_number() -> None:
    person = replace(PERSON, document_number="D23145890734")
    result = check_document(_img(render_id_card_back(person)), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert result.data["document_number"] == "D23145890734"


def test_tampered_check_digit_is_invalid_mrz() -> None:
    lines = with_bad_check_digit(td3_mrz(PERSON), line=1, position=19)  # birth date check digit
    result = check_document(_img(render_passport_page(PERSON, mrz_lines=lines)), None, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_invalid_mrz",)
    assert result.scores["mrz_reread"] == 1.0  # it was re-read before concluding
    assert result.scores["mrz_reread_agreement"] == 1.0
    assert "birth_date" in result.data["failed_checks"]


def test_tampered_birth_date_with_original_check_digit_is_invalid_mrz() -> None:
    lines = with_altered_birth_date(td1_mrz(PERSON), date(1998, 2, 28))
    result = check_document(_img(render_id_card_back(PERSON, mrz_lines=lines)), None, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_invalid_mrz",)


def test_expired() -> None:
    person = expired_variant(PERSON, TODAY, days=1)
    result = check_document(_img(render_passport_page(person)), None, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_expired",)
    assert result.data["expiry_date"] == "2025-12-31"


def test_expired_card_and_not_allowed_type_both_reported(card_front: Image.Image) -> None:
    back = render_id_card_back(expired_variant(PERSON, TODAY))
    result = check_document(_img(card_front), _img(back), allowed_types=frozenset({"passport"}), today=TODAY)
    assert result.reasons == ("document_type_not_allowed", "document_expired")


def test_type_not_allowed(passport: Image.Image) -> None:
    result = check_document(_img(passport), None, allowed_types=frozenset({"id_card"}), today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_type_not_allowed",)
    allowed = check_document(
        _img(passport), None, allowed_types=frozenset({"passport", "id_card"}), today=TODAY
    )
    assert allowed.outcome is Outcome.PASS


def test_under_age_holder_is_reported_not_judged() -> None:
    # Age is the pipeline's policy: the check passes and hands over the birth date.
    person = under_age_variant(PERSON, TODAY, age=15)
    result = check_document(_img(render_passport_page(person)), None, today=TODAY)
    assert result.outcome is Outcome.PASS
    assert result.data["birth_date"] == "2011-01-01"


def test_blank_image_is_unreadable() -> None:
    blank = DecodedImage.from_pil(Image.new("RGB", (1600, 1200), (236, 236, 232)))
    result = check_document(blank, blank, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_unreadable",)
    assert result.data == {}


def test_id_front_without_mrz_and_no_back_is_unreadable(card_front: Image.Image) -> None:
    result = check_document(_img(card_front), None, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_unreadable",)


# --- orientation and photos ---------------------------------------------------------------------------


@pytest.mark.parametrize("degrees", [180, 4, -3, 183, 12, 90, -90])
def test_rotated_uploads_are_read(passport: Image.Image, degrees: float) -> None:
    result = check_document(_img(rotated(passport, degrees)), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert _fields(dict(result.data)) == EXPECTED


def test_card_back_upside_down(card_front: Image.Image, card_back: Image.Image) -> None:
    result = check_document(_img(card_front), _img(rotated(card_back, 180)), today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()


@pytest.mark.parametrize("seed", [1, 2])
def test_photographed_documents(passport: Image.Image, card_back: Image.Image, seed: int) -> None:
    photo = photographed(passport if seed == 1 else card_back, seed=seed)
    result = check_document(_img(photo), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert _fields(dict(result.data)) == EXPECTED


def test_photographed_passport_at_12_megapixels(silhouette: Image.Image) -> None:
    page = render_passport_page(PERSON, portrait=silhouette, megapixels=12)
    result = check_document(_img(photographed(page, seed=5, megapixels=12)), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert _fields(dict(result.data)) == EXPECTED


# --- CNIC ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cnic(silhouette: Image.Image) -> Image.Image:
    return render_cnic_front(cnic_person(), portrait=silhouette)


def test_cnic_front_with_valid_number_passes(cnic: Image.Image) -> None:
    result = check_document(_img(cnic), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    data = dict(result.data)
    assert data["source"] == "cnic"
    assert data["document_type"] == "id_card"
    assert data["document_number"] == "35202-1234567-1"
    assert data["sex"] == "M"  # from the number's last digit (odd), and matching the printed one
    assert (data["birth_date"], data["issue_date"], data["expiry_date"]) == (
        "1990-03-14",
        "2021-05-20",
        "2031-05-20",
    )
    assert data["full_name"] == "IMRAN AHMED KHAN"
    assert result.scores["cnic_number_valid"] == 1.0


def test_cnic_upside_down(cnic: Image.Image) -> None:
    result = check_document(_img(rotated(cnic, 180)), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert result.data["expiry_date"] == "2031-05-20"


def test_cnic_photographed(cnic: Image.Image) -> None:
    result = check_document(_img(photographed(cnic, seed=9)), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert result.data["document_number"] == "35202-1234567-1"


@pytest.mark.parametrize("number", ["85202-1234567-1", "35202-1234567-0"])  # province 8 / gender digit 0
def test_cnic_with_invalid_number(silhouette: Image.Image, number: str) -> None:
    card = render_cnic_front(cnic_person(number), portrait=silhouette)
    result = check_document(_img(card), None, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_number_invalid",)


def test_cnic_number_contradicting_printed_gender(silhouette: Image.Image) -> None:
    card = render_cnic_front(cnic_person("35202-1234567-2"), portrait=silhouette)  # even digit: female
    result = check_document(_img(card), None, today=TODAY)
    assert result.reasons == ("document_number_invalid",)


def test_cnic_expired(silhouette: Image.Image) -> None:
    card = render_cnic_front(cnic_person(expiry_date=date(2024, 5, 20)), portrait=silhouette)
    result = check_document(_img(card), None, today=TODAY)
    assert result.outcome is Outcome.FAIL
    assert result.reasons == ("document_expired",)


def test_cnic_type_not_allowed(cnic: Image.Image) -> None:
    result = check_document(_img(cnic), None, allowed_types=frozenset({"passport"}), today=TODAY)
    assert result.reasons == ("document_type_not_allowed",)


# --- plumbing -----------------------------------------------------------------------------------------------


def test_document_kinds() -> None:
    assert [document_kind(c) for c in ("P", "PM", "I", "ID", "AC", "C", "DL", "V", "X")] == [
        "passport",
        "passport",
        "id_card",
        "id_card",
        "id_card",
        "id_card",
        "driving_licence",
        "visa",
        "other",
    ]


def test_models_load_from_the_wheel_without_network(
    monkeypatch: pytest.MonkeyPatch, passport: Image.Image, cnic: Image.Image
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_engine", None)  # fresh instances: load every model again, offline
    monkeypatch.setattr(ocr, "_recogniser", None)
    assert check_document(_img(passport), None, today=TODAY).outcome is Outcome.PASS
    assert check_document(_img(cnic), None, today=TODAY).outcome is Outcome.PASS  # detection model too
    rec = ocr.get_recogniser()
    assert rec.session.get_session_options().intra_op_num_threads == 1


def test_no_personal_data_in_logs_or_summary(passport: Image.Image, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        result = check_document(_img(passport), None, today=TODAY)
    text = caplog.text + repr(result) + str(result.summary())
    for value in ("OKAFOR", "CHIDI", "X2B4O07Q1", "1988", "880229"):
        assert value not in text


def test_full_page_ocr_fallback_when_no_band_is_found(
    monkeypatch: pytest.MonkeyPatch, passport: Image.Image
) -> None:
    monkeypatch.setattr(ocr, "find_mrz_bands", lambda gray, **kwargs: [])
    result = check_document(_img(passport), None, today=TODAY)
    assert result.outcome is Outcome.PASS, result.summary()
    assert _fields(dict(result.data)) == EXPECTED
