"""The document check: read the MRZ (or, for a Pakistani CNIC front, the printed number), validate.

Order of work, cheapest first: MRZ band search on the back then the front (~15 ms each), band
recognition (~150 ms on one core); only when no band is found, one full-page OCR per side at
reduced scale (~1 s on one core, blank sides skipped) which serves both as the MRZ fallback and as
the CNIC reader. A check-digit failure found on that slow path is not re-read: INCONCLUSIVE.

A failed check digit is a bad read or a tampered document. The band is re-read once with another
scale and contrast: a valid re-read means the first read was bad; the same failure twice means the
document itself carries it (FAIL `document_invalid_mrz`); two different failing reads cannot be
decided by machine (INCONCLUSIVE, same code, for review).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum.pk import cnic as stdnum_cnic

from kyc import ocr
from kyc.images import DecodedImage
from kyc.mrz import MrzResult
from kyc.results import CheckResult, Outcome, timed

NAME = "document"

UNREADABLE = "document_unreadable"
INVALID_MRZ = "document_invalid_mrz"
EXPIRED = "document_expired"
TYPE_NOT_ALLOWED = "document_type_not_allowed"
NUMBER_INVALID = "document_number_invalid"  # CNIC number failing python-stdnum's validation

PASSPORT, ID_CARD, DRIVING_LICENCE, VISA, OTHER = "passport", "id_card", "driving_licence", "visa", "other"


def document_kind(code: str) -> str:
    """Normalised type from the MRZ document code (Doc 9303: P passports; I, A, C identity and
    official travel cards; V visas). ICAO 9303 reserves no code for driving licences; 'D', the letter
    ISO/IEC 18013 driving-licence MRZs start with, maps to driving_licence when it appears in a
    TD1/TD2/TD3 layout. The single-line ISO/IEC 18013 MRZ itself is not parsed: such a licence
    ends `document_unreadable` today."""
    first = code[:1]
    if first == "P":
        return PASSPORT
    if first in ("I", "A", "C"):
        return ID_CARD
    if first == "D":
        return DRIVING_LICENCE
    if first == "V":
        return VISA
    return OTHER


def _result(
    outcome: Outcome, reasons: Sequence[str], scores: Mapping[str, float], data: Mapping[str, Any]
) -> CheckResult:
    return CheckResult(
        name=NAME, outcome=outcome, reasons=tuple(reasons), scores=dict(scores), data=dict(data)
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- MRZ documents --------------------------------------------------------------------------------------


def _mrz_data(mrz: MrzResult) -> dict[str, Any]:
    return {
        "source": "mrz",
        "mrz_format": mrz.format,
        "document_code": mrz.document_type,
        "document_type": document_kind(mrz.document_type),
        "issuing_state": mrz.issuing_state,
        "document_number": mrz.document_number,
        "surname": mrz.surname,
        "given_names": mrz.given_names,
        "full_name": " ".join(p for p in (mrz.given_names, mrz.surname) if p),
        "nationality": mrz.nationality,
        "birth_date": _iso(mrz.birth_date),
        "sex": mrz.sex,
        "expiry_date": _iso(mrz.expiry_date),
        "optional_data": mrz.optional_data,
    }


def _checked_part(mrz: MrzResult) -> tuple[str, ...]:
    """The check-digit-covered lines (names are not covered): what two reads must agree on."""
    return mrz.lines[:2] if mrz.format == "TD1" else mrz.lines[1:]


def _decide_mrz(reading: _Reading, *, allowed: frozenset[str] | None, today: date) -> CheckResult:
    read, reread = reading.read, reading.reread
    mrz = read.result
    assert mrz is not None
    scores: dict[str, float] = {
        "mrz_check_digits_ok": sum(mrz.check_digits.values()) / max(1, len(mrz.check_digits)),
        "ocr_confidence": read.confidence,
        "mrz_reread": 1.0 if reading.reread_done else 0.0,
    }
    data = _mrz_data(mrz)
    if not mrz.valid:
        stable = (
            reread is not None
            and reread.result is not None
            and reread.result.failed_checks == mrz.failed_checks
            and _checked_part(reread.result) == _checked_part(mrz)
        )
        scores["mrz_reread_agreement"] = 1.0 if stable else 0.0
        data["failed_checks"] = list(mrz.failed_checks)
        outcome = Outcome.FAIL if stable else Outcome.INCONCLUSIVE
        return _result(outcome, [INVALID_MRZ], scores, data)
    if mrz.ambiguous:
        # Check digits hold, but for two readings of a field (e.g. 2/Z at positions of equal weight)
        # and re-reading did not settle it: a person must read the number.
        data["uncertain_fields"] = list(mrz.ambiguous)
        if reread is not None:
            scores["mrz_reread_agreement"] = 0.0
        return _result(Outcome.INCONCLUSIVE, [UNREADABLE], scores, data)
    reasons = []
    if allowed is not None and data["document_type"] not in allowed:
        reasons.append(TYPE_NOT_ALLOWED)
    if mrz.expiry_date is not None and mrz.expiry_date < today:
        reasons.append(EXPIRED)
    return _result(Outcome.FAIL if reasons else Outcome.PASS, reasons, scores, data)


@dataclass(frozen=True, slots=True)
class _Reading:
    read: ocr.MrzRead  # the reading to decide on
    reread: ocr.MrzRead | None  # the second reading, when both were uncertain (for the agreement test)
    reread_done: bool


def _read_with_reread(image: DecodedImage, today: date) -> _Reading | None:
    read = ocr.read_mrz(image, today=today)
    if read is None or read.result is None:
        return None
    if read.result.certain:
        return _Reading(read, None, False)
    reread = ocr.read_mrz(image, today=today, attempt=1, hint_flip=read.flipped)
    if reread is None or reread.result is None:
        return _Reading(read, None, True)
    first, second = read.result, reread.result
    if second.certain and (not first.valid or _checked_part(second) == _checked_part(first)):
        return _Reading(reread, None, True)  # the first read was bad (or just unsure): settled
    if second.valid and not first.valid:
        return _Reading(reread, None, True)  # valid but with a doubtful repair: better than invalid
    # Both uncertain, or a confident re-read contradicting an ambiguous first read: check digits
    # cannot arbitrate some double confusions (Z/2 or O/0 at positions weighted 7 and 3), so the
    # first reading is kept and decided on as it is (invalid or ambiguous: never PASS).
    return _Reading(read, reread, True)


# --- CNIC (Pakistan) --------------------------------------------------------------------------------------

_DIGITISH = "0-9OoQDIl|SBZG"
_TO_DIGIT = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "Q": "0",
        "D": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "S": "5",
        "B": "8",
        "Z": "2",
        "G": "6",
    }
)
_DASH = "[-\u2010\u2013\u2014~.]"  # hyphen-minus, hyphen, en and em dashes, and misreads of them
_CNIC_RE = re.compile(
    rf"(?<![0-9])([{_DIGITISH}]{{5}})\s*{_DASH}\s*([{_DIGITISH}]{{7}})\s*{_DASH}\s*([{_DIGITISH}])(?![0-9])"
)
_CNIC_PLAIN_RE = re.compile(r"(?<![0-9])([0-9]{13})(?![0-9])")
_DATE_RE = re.compile(
    rf"(?<![0-9])([{_DIGITISH}]{{2}})\s*[./-]\s*([{_DIGITISH}]{{2}})\s*[./-]\s*([{_DIGITISH}]{{4}})"
)


@dataclass(frozen=True, slots=True)
class CnicRead:
    number: str | None  # "#####-#######-#" as printed (after digit repair)
    birth_date: date | None
    issue_date: date | None
    expiry_date: date | None
    lifetime: bool  # "Lifetime" printed instead of an expiry date
    name: str | None
    printed_sex: str | None
    confidence: float


def _find_number(lines: Sequence[ocr.TextLine]) -> tuple[str | None, float]:
    for line in lines:
        match = _CNIC_RE.search(line.text) or _CNIC_PLAIN_RE.search(line.text.replace(" ", ""))
        if match:
            digits = "".join(match.groups()).translate(_TO_DIGIT)
            return f"{digits[:5]}-{digits[5:12]}-{digits[12:]}", line.score
    return None, 0.0


def _dates(lines: Sequence[ocr.TextLine]) -> list[tuple[date, ocr.TextLine]]:
    found = []
    for line in lines:
        for match in _DATE_RE.finditer(line.text):
            day, month, year = (int(g.translate(_TO_DIGIT)) for g in match.groups())
            try:
                found.append((date(year, month, day), line))
            except ValueError:
                continue
    return found


def _below(label: ocr.TextLine, candidates: Sequence[ocr.TextLine]) -> ocr.TextLine | None:
    """The value printed under (or right of) a label: nearest box below that overlaps it horizontally."""
    lx0, ly0, lx1, ly1 = label.box
    height = ly1 - ly0
    best, best_d = None, float("inf")
    for cand in candidates:
        if cand is label:
            continue
        x0, y0, x1, _ = cand.box
        overlaps = min(x1, lx1 + height * 4) - max(x0, lx0 - height) > 0
        d = y0 - ly0
        if overlaps and 0 < d < 4 * height and d < best_d:
            best, best_d = cand, d
    return best


def _labelled(lines: Sequence[ocr.TextLine], pattern: str) -> ocr.TextLine | None:
    rx = re.compile(pattern, re.IGNORECASE)
    for line in lines:
        if rx.search(line.text):
            return _below(line, lines)
    return None


def read_cnic(lines: Sequence[ocr.TextLine]) -> CnicRead | None:
    """CNIC fields from full-page OCR lines: the number, dates (DD.MM.YYYY) by label, else by order."""
    number, confidence = _find_number(lines)
    if number is None:
        return None
    dated = _dates(lines)
    by_label: dict[str, date | None] = {}
    for key, pattern in (("birth", r"\bbirth\b"), ("issue", r"\bissue\b"), ("expiry", r"\bexpiry\b")):
        value_line = _labelled(lines, pattern)
        by_label[key] = next((d for d, line in dated if line is value_line), None)
    # Fallback: the three dates are always in the order birth < issue < expiry.
    ordered = sorted({d for d, _ in dated})
    if len(ordered) == 3:
        for key, value in zip(("birth", "issue", "expiry"), ordered, strict=True):
            by_label[key] = by_label[key] or value
    name_line = _labelled(lines, r"^\s*name\s*$")
    sex_line = _labelled(lines, r"\bgender\b|\bsex\b")
    sex_text = sex_line.text.strip().upper() if sex_line else ""
    sex = sex_text[0] if sex_text[:1] in ("M", "F") else None
    return CnicRead(
        number=number,
        birth_date=by_label["birth"],
        issue_date=by_label["issue"],
        expiry_date=by_label["expiry"],
        lifetime=any("lifetime" in t.text.lower() for t in lines),
        name=name_line.text.strip() if name_line else None,
        printed_sex=sex,
        confidence=confidence,
    )


def _decide_cnic(card: CnicRead, *, allowed: frozenset[str] | None, today: date) -> CheckResult:
    assert card.number is not None
    valid = stdnum_cnic.is_valid(card.number)
    number_sex = stdnum_cnic.get_gender(card.number) if valid else None
    # The last digit encodes the holder's sex: a printed sex that contradicts it is a forged number.
    consistent = card.printed_sex is None or number_sex is None or card.printed_sex == number_sex
    data = {
        "source": "cnic",
        "document_type": ID_CARD,
        "issuing_state": "PAK",
        "document_number": card.number,
        "surname": None,
        "given_names": None,
        "full_name": card.name,
        "nationality": "PAK",
        "birth_date": _iso(card.birth_date),
        "sex": number_sex or card.printed_sex,
        "issue_date": _iso(card.issue_date),
        "expiry_date": _iso(card.expiry_date),
    }
    scores = {"cnic_number_valid": 1.0 if valid and consistent else 0.0, "ocr_confidence": card.confidence}
    if not (valid and consistent):
        return _result(Outcome.FAIL, [NUMBER_INVALID], scores, data)
    reasons = []
    if allowed is not None and ID_CARD not in allowed:
        reasons.append(TYPE_NOT_ALLOWED)
    if card.expiry_date is not None and card.expiry_date < today:
        reasons.append(EXPIRED)
    if reasons:
        return _result(Outcome.FAIL, reasons, scores, data)
    if card.expiry_date is None and not card.lifetime:
        # Valid number but no readable expiry: cannot rule out an expired card.
        return _result(Outcome.INCONCLUSIVE, [UNREADABLE], scores, data)
    return _result(Outcome.PASS, [], scores, data)


# --- the check ---------------------------------------------------------------------------------------------


@timed
def check_document(
    front: DecodedImage,
    back: DecodedImage | None,
    *,
    allowed_types: frozenset[str] | None = None,
    today: date | None = None,
) -> CheckResult:
    """Read and validate an identity document. `allowed_types` holds normalised types ("passport",
    "id_card", "driving_licence", "visa"); None allows all. Personal data goes only to `data`."""
    today = today or date.today()
    sides = [image for image in (back, front) if image is not None]  # TD1 cards carry the MRZ on the back
    for image in sides:
        reading = _read_with_reread(image, today)
        if reading is not None:
            return _decide_mrz(reading, allowed=allowed_types, today=today)
    # No MRZ band: one reduced-scale full-page OCR per side, used for an MRZ and for a CNIC.
    for side in (front, back):
        if side is None or not ocr.has_text(side.gray):
            continue
        lines = ocr.read_page_lines(side)
        page_read = ocr.mrz_from_page_lines(lines, today=today)
        if page_read is not None:
            # No second read on this slow path: a check-digit failure here ends INCONCLUSIVE (review).
            return _decide_mrz(_Reading(page_read, None, False), allowed=allowed_types, today=today)
        card = read_cnic(lines)
        if card is not None:
            return _decide_cnic(card, allowed=allowed_types, today=today)
    return _result(Outcome.FAIL, [UNREADABLE], {"mrz_check_digits_ok": 0.0, "ocr_confidence": 0.0}, {})
