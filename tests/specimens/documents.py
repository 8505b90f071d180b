"""Synthetic identity-document specimens for tests and benchmarks (no real person's data).

Everything is drawn with Pillow in millimetres (ICAO sizes: TD3 page 125 x 88 mm, ID-1 card
85.6 x 54 mm) and scaled to the requested number of pixels, so a 12 MP specimen is drawn natively
rather than upscaled. MRZs are built with `kyc.mrz.check_digit`, so they are valid unless a test
tampers with them on purpose.

Fonts: OCR-B from Debian's `fonts-ocr-b` for the MRZ and DejaVu (`fonts-dejavu-core`) for the rest.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from kyc.mrz import check_digit

OCRB_CANDIDATES = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
)
DEJAVU_DIR_CANDIDATES = (Path("/usr/share/fonts/truetype/dejavu"),)

TD3_MM = (125.0, 88.0)
ID1_MM = (85.6, 54.0)
MRZ_PITCH_MM = 2.54  # 10 characters per inch (Doc 9303 Part 3)
MRZ_LINE_MM = 4.23  # 6 lines per inch
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# --- fonts ----------------------------------------------------------------------------------------


class MissingFontError(RuntimeError):
    pass


def _find(candidates: Sequence[Path], package: str) -> Path:
    for path in candidates:
        if path.exists():
            return path
    raise MissingFontError(
        f"font not found: install the Debian package {package} (apt-get install {package})"
    )


def ocrb_path() -> Path:
    return _find(OCRB_CANDIDATES, "fonts-ocr-b")


def dejavu_path(bold: bool = False) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return _find([d / name for d in DEJAVU_DIR_CANDIDATES], "fonts-dejavu-core")


@lru_cache(maxsize=64)
def _font(kind: str, size_px: int) -> ImageFont.FreeTypeFont:
    path = ocrb_path() if kind == "ocrb" else dejavu_path(bold=kind == "bold")
    return ImageFont.truetype(str(path), max(6, size_px))


# --- people and MRZs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecimenPerson:
    """Invented data; defaults are the ICAO 9303 specimen (Utopia, 'ANNA MARIA ERIKSSON')."""

    surname: str = "ERIKSSON"
    given_names: str = "ANNA MARIA"
    birth_date: date = date(1974, 8, 12)
    sex: str = "F"  # "M", "F" or "X"
    document_number: str = "L898902C3"
    nationality: str = "UTO"
    issuing_state: str = "UTO"
    expiry_date: date = date(2034, 4, 15)
    issue_date: date = date(2024, 4, 16)
    optional_data: str = ""  # TD3 personal number / TD1 optional data


def _yymmdd(value: date) -> str:
    return value.strftime("%y%m%d")


def _mrz_name(person: SpecimenPerson, width: int) -> str:
    name = person.surname.replace(" ", "<") + "<<" + person.given_names.replace(" ", "<")
    name = name.replace("-", "<").upper()
    return name[:width].ljust(width, "<")


def td3_mrz(person: SpecimenPerson, doc_code: str = "P") -> tuple[str, str]:
    """Two 44-character lines (passport data page) with correct check digits."""
    line1 = (doc_code.ljust(2, "<") + person.issuing_state.ljust(3, "<") + _mrz_name(person, 39))[:44]
    number = person.document_number.ljust(9, "<")[:9]
    optional = person.optional_data.ljust(14, "<")[:14]
    opt_digit = check_digit(optional) if person.optional_data else "<"
    birth, expiry = _yymmdd(person.birth_date), _yymmdd(person.expiry_date)
    body = (
        number
        + check_digit(number)
        + person.nationality.ljust(3, "<")
        + birth
        + check_digit(birth)
        + person.sex.replace("X", "<")
        + expiry
        + check_digit(expiry)
        + optional
        + opt_digit
    )
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return line1, body + composite


def td1_mrz(person: SpecimenPerson, doc_code: str = "I") -> tuple[str, str, str]:
    """Three 30-character lines (ID card back) with correct check digits, long numbers included."""
    number = person.document_number
    if len(number) > 9:
        field = number[:9] + "<" + number[9:] + check_digit(number) + "<" + person.optional_data
    else:
        field = number.ljust(9, "<") + check_digit(number.ljust(9, "<")) + person.optional_data
    line1 = (doc_code.ljust(2, "<") + person.issuing_state.ljust(3, "<") + field)[:30].ljust(30, "<")
    birth, expiry = _yymmdd(person.birth_date), _yymmdd(person.expiry_date)
    line2 = (
        birth
        + check_digit(birth)
        + person.sex.replace("X", "<")
        + expiry
        + check_digit(expiry)
        + person.nationality.ljust(3, "<")
        + "<" * 11
    )
    composite = check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return line1, line2 + composite, _mrz_name(person, 30)


def with_bad_check_digit(lines: Sequence[str], line: int, position: int) -> tuple[str, ...]:
    """Tampering: change one check digit (shifted by 3, so the MRZ no longer validates)."""
    chars = list(lines[line])
    chars[position] = str((int(chars[position]) + 3) % 10) if chars[position].isdigit() else "7"
    out = list(lines)
    out[line] = "".join(chars)
    return tuple(out)


def with_altered_birth_date(lines: Sequence[str], new_birth: date) -> tuple[str, ...]:
    """Tampering: a new date of birth with the original check digits left in place."""
    out = list(lines)
    if len(lines) == 3:  # TD1: line 2 starts with the birth date
        out[1] = _yymmdd(new_birth) + lines[1][6:]
    else:
        out[1] = lines[1][:13] + _yymmdd(new_birth) + lines[1][19:]
    return tuple(out)


def expired_variant(person: SpecimenPerson, today: date, days: int = 30) -> SpecimenPerson:
    """The same holder with a document that expired `days` before `today`."""
    expiry = date.fromordinal(today.toordinal() - days)
    return replace(
        person, expiry_date=expiry, issue_date=date(expiry.year - 10, expiry.month, min(expiry.day, 28))
    )


def under_age_variant(person: SpecimenPerson, today: date, age: int = 16) -> SpecimenPerson:
    """The same document held by someone `age` years old on `today` (29 Feb births move to 28)."""
    day = min(today.day, 28) if today.month == 2 else today.day
    return replace(person, birth_date=date(today.year - age, today.month, day))


def person_variant(index: int, *, seed: int = 0) -> SpecimenPerson:
    """Deterministic varied people (names, numbers, dates) for benchmarks."""
    rng = random.Random(seed * 100_003 + index)
    surnames = (
        "KHAN",
        "OKAFOR",
        "MUELLER",
        "DUBOIS",
        "RODRIGUEZ<GARCIA",
        "NGUYEN",
        "SATO",
        "OCONNOR",
        "IBRAHIM",
        "KOWALSKA",
        "BUTT",
        "QURESHI",
        "ZOGRAFOS",
        "DEL<BOSQUE",
        "SILVA",
    )
    given = (
        "AYESHA",
        "JOHN PAUL",
        "BILAL",
        "MARIE CLAIRE",
        "OLUWASEUN",
        "GIZEM",
        "HANS PETER",
        "FATIMA ZAHRA",
        "QUENTIN",
        "SOO BIN",
        "DOROTA",
        "KWAME",
        "OMAR",
        "ZOE",
        "BOGDAN",
    )
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    number = rng.choice("ABCDLPXZ") + "".join(rng.choice(letters) for _ in range(rng.choice((7, 8))))
    states = ("UTO", "GBR", "DEU", "FRA", "PAK", "NGA", "D<<", "ESP", "POL", "TUR")
    state = rng.choice(states)
    birth = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    expiry = date(rng.randint(2027, 2035), rng.randint(1, 12), rng.randint(1, 28))
    return SpecimenPerson(
        surname=rng.choice(surnames).replace("<", " "),
        given_names=rng.choice(given),
        birth_date=birth,
        sex=rng.choice("MF"),
        document_number=number,
        nationality=state,
        issuing_state=state,
        expiry_date=expiry,
        issue_date=date(expiry.year - 10, expiry.month, expiry.day),
        optional_data=rng.choice(("", "", "ZE184226B", "1234567890")),
    )


# --- drawing helpers ------------------------------------------------------------------------------


class _Sheet:
    """A document drawn in millimetres onto an image of `width_px`."""

    def __init__(self, size_mm: tuple[float, float], width_px: int, paper: tuple[int, int, int]):
        self.scale = width_px / size_mm[0]
        self.size_mm = size_mm
        self.image = Image.new("RGB", (width_px, round(size_mm[1] * self.scale)), paper)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return round(mm * self.scale)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size_mm: float,
        kind: str = "regular",
        fill: tuple[int, int, int] = (25, 25, 35),
    ) -> None:
        font = _font(kind, self.px(size_mm))
        self.draw.text((self.px(x), self.px(y)), text, font=font, fill=fill)

    def field(self, x: float, y: float, label: str, value: str, *, size: float = 2.6) -> None:
        """A small grey label with its value under it, as on most cards and data pages."""
        self.text(x, y, label, 1.5, fill=(90, 90, 110))
        self.text(x, y + 1.9, value, size, kind="bold")

    def guilloche(self, colour: tuple[int, int, int], seed: int = 7, waves: int = 18) -> None:
        """Light security background: sine waves, so the band detector meets texture, not a blank."""
        rng = random.Random(seed)
        w, h = self.image.size
        step = max(2, w // 300)
        for i in range(waves):
            amp, freq, phase = rng.uniform(0.02, 0.08) * h, rng.uniform(1.5, 5.0), rng.uniform(0, 6.3)
            base = (i + 0.5) / waves * h
            pts = [
                (x, base + amp * math.sin(freq * 2 * math.pi * x / w + phase))
                for x in range(0, w + step, step)
            ]
            self.draw.line(pts, fill=colour, width=max(1, self.px(0.12)))

    def photo(self, box_mm: tuple[float, float, float, float], portrait: Image.Image | None) -> None:
        x, y, w, h = (self.px(v) for v in box_mm)
        if portrait is None:
            self.draw.rectangle((x, y, x + w, y + h), outline=(170, 170, 180), width=max(1, self.px(0.2)))
            return
        src = portrait.convert("RGB")
        ratio = max(w / src.width, h / src.height)  # cover the box, then centre-crop
        src = src.resize(
            (max(w, round(src.width * ratio)), max(h, round(src.height * ratio))), Image.Resampling.LANCZOS
        )
        left, top = (src.width - w) // 2, (src.height - h) // 2
        self.image.paste(src.crop((left, top, left + w, top + h)), (x, y))

    def mrz(self, lines: Sequence[str], x_mm: float, bottom_mm: float) -> None:
        """MRZ in OCR-B at ICAO pitch; `bottom_mm` is the baseline of the last line from the top."""
        font = _font("ocrb", self.px(MRZ_PITCH_MM / 0.7227))  # OCR-B advance is 0.7227 em
        ascent = font.getmetrics()[0]
        for i, line in enumerate(lines):
            baseline = bottom_mm - (len(lines) - 1 - i) * MRZ_LINE_MM
            self.draw.text((self.px(x_mm), self.px(baseline) - ascent), line, font=font, fill=(15, 15, 20))


def _width_for(size_mm: tuple[float, float], megapixels: float) -> int:
    return round(math.sqrt(megapixels * 1e6 * size_mm[0] / size_mm[1]))


def _fmt_date(value: date) -> str:
    return f"{value.day:02d} {MONTHS[value.month - 1]} {value.year}"


def grey_silhouette(size: tuple[int, int] = (350, 450)) -> Image.Image:
    """A neutral head-and-shoulders placeholder for portraits (not a face: faces are not tested here)."""
    w, h = size
    image = Image.new("RGB", size, (214, 218, 222))
    draw = ImageDraw.Draw(image)
    draw.ellipse((w * 0.30, h * 0.14, w * 0.70, h * 0.60), fill=(128, 128, 132))
    draw.ellipse((w * 0.08, h * 0.62, w * 0.92, h * 1.35), fill=(128, 128, 132))
    return image


# --- documents ------------------------------------------------------------------------------------


def render_passport_page(
    person: SpecimenPerson,
    *,
    portrait: Image.Image | None = None,
    megapixels: float = 2.0,
    mrz_lines: Sequence[str] | None = None,
    doc_code: str = "P",
) -> Image.Image:
    """A TD3 passport data page (125 x 88 mm) with its two-line MRZ."""
    sheet = _Sheet(TD3_MM, _width_for(TD3_MM, megapixels), (244, 240, 228))
    sheet.guilloche((222, 214, 232))
    sheet.text(5, 4, "PASSPORT  PASSEPORT  SPECIMEN", 3.6, kind="bold", fill=(60, 50, 110))
    sheet.photo((5, 14, 32, 41), portrait)
    x = 42
    sheet.field(x, 13, "Type / Type", doc_code)
    sheet.field(x + 18, 13, "Code / Code", person.issuing_state.replace("<", ""))
    sheet.field(x + 42, 13, "Passport No. / No. du passeport", person.document_number)
    sheet.field(x, 20, "Surname / Nom", person.surname)
    sheet.field(x, 27, "Given names / Prénoms", person.given_names)
    sheet.field(x, 34, "Nationality / Nationalité", person.nationality.replace("<", ""))
    sheet.field(x, 41, "Date of birth / Date de naissance", _fmt_date(person.birth_date))
    sheet.field(x + 50, 41, "Sex / Sexe", person.sex)
    sheet.field(x, 48, "Date of issue / Date de délivrance", _fmt_date(person.issue_date))
    sheet.field(x, 55, "Date of expiry / Date d'expiration", _fmt_date(person.expiry_date))
    sheet.text(8, 58, "Holder's signature", 1.5, fill=(90, 90, 110))
    lines = tuple(mrz_lines) if mrz_lines is not None else td3_mrz(person, doc_code)
    sheet.mrz(lines, 5.5, TD3_MM[1] - 6.0)
    return sheet.image


def render_id_card_front(
    person: SpecimenPerson, *, portrait: Image.Image | None = None, megapixels: float = 2.0
) -> Image.Image:
    """An ID-1 card front with printed fields and a portrait; no MRZ (TD1 cards carry it on the back)."""
    sheet = _Sheet(ID1_MM, _width_for(ID1_MM, megapixels), (232, 240, 246))
    sheet.guilloche((205, 222, 236), seed=3)
    sheet.text(4, 3, "IDENTITY CARD  SPECIMEN", 3.2, kind="bold", fill=(30, 60, 120))
    sheet.photo((4, 11, 24, 31), portrait)
    sheet.field(31, 10, "Surname", person.surname)
    sheet.field(31, 16.5, "Given names", person.given_names)
    sheet.field(31, 23, "Sex", person.sex)
    sheet.field(45, 23, "Nationality", person.nationality.replace("<", ""))
    sheet.field(31, 29.5, "Date of birth", person.birth_date.strftime("%d.%m.%Y"))
    sheet.field(31, 36, "Document no.", person.document_number)
    sheet.field(31, 42.5, "Date of expiry", person.expiry_date.strftime("%d.%m.%Y"))
    return sheet.image


def render_id_card_back(
    person: SpecimenPerson,
    *,
    megapixels: float = 2.0,
    mrz_lines: Sequence[str] | None = None,
    doc_code: str = "I",
) -> Image.Image:
    """An ID-1 card back: a few printed lines, then the three-line TD1 MRZ at the bottom."""
    sheet = _Sheet(ID1_MM, _width_for(ID1_MM, megapixels), (232, 240, 246))
    sheet.guilloche((205, 222, 236), seed=5)
    sheet.field(4, 4, "Date of issue", person.issue_date.strftime("%d.%m.%Y"))
    sheet.field(35, 4, "Authority", "SPECIMEN OFFICE")
    sheet.field(4, 11, "Address", "12 EXAMPLE STREET, SAMPLE TOWN")
    lines = tuple(mrz_lines) if mrz_lines is not None else td1_mrz(person, doc_code)
    sheet.mrz(lines, (ID1_MM[0] - 30 * MRZ_PITCH_MM) / 2, ID1_MM[1] - 4.0)
    return sheet.image


def render_cnic_front(
    person: SpecimenPerson,
    *,
    portrait: Image.Image | None = None,
    megapixels: float = 2.0,
    father_name: str = "MUHAMMAD ASLAM",
) -> Image.Image:
    """A CNIC-like card front (Pakistan): number #####-#######-#, name, DD.MM.YYYY dates, no MRZ.

    `person.document_number` is printed as given (pass e.g. "35202-1234567-1").
    """
    sheet = _Sheet(ID1_MM, _width_for(ID1_MM, megapixels), (226, 240, 226))
    sheet.guilloche((200, 226, 204), seed=11)
    sheet.text(4, 2.5, "PAKISTAN  National Identity Card  SPECIMEN", 2.6, kind="bold", fill=(20, 100, 50))
    sheet.photo((57, 10, 24, 30), portrait)
    sheet.field(4, 9, "Name", f"{person.given_names} {person.surname}")
    sheet.field(4, 15.5, "Father Name", father_name)
    sheet.field(4, 22, "Gender", person.sex)
    sheet.field(22, 22, "Country of Stay", "Pakistan")
    sheet.field(4, 28.5, "Identity Number", person.document_number)
    sheet.field(38, 28.5, "Date of Birth", person.birth_date.strftime("%d.%m.%Y"))
    sheet.field(4, 35, "Date of Issue", person.issue_date.strftime("%d.%m.%Y"))
    sheet.field(38, 35, "Date of Expiry", person.expiry_date.strftime("%d.%m.%Y"))
    sheet.text(4, 45, "Holder's Signature", 1.5, fill=(90, 90, 110))
    return sheet.image


# --- variants: rotation, photographed look, encoding ----------------------------------------------


def rotated(
    image: Image.Image, degrees: float, background: tuple[int, int, int] = (60, 62, 66)
) -> Image.Image:
    """Rotate counter-clockwise by `degrees`; 180 is exact, small angles expand the canvas."""
    if degrees % 180 == 0:
        return image.rotate(degrees)
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=background)


def photographed(
    document: Image.Image,
    *,
    seed: int = 0,
    megapixels: float | None = None,
    max_tilt_deg: float = 3.0,
    jpeg_quality: int = 82,
    fill: float = 0.82,
) -> Image.Image:
    """The document as a phone photo: on a textured table, slight perspective and rotation, uneven light,
    sensor noise, a little blur, JPEG artefacts. The output has 4:3 aspect and `megapixels` (default:
    the document's own pixel count)."""
    rng = np.random.default_rng(seed)
    mp = megapixels if megapixels is not None else document.width * document.height / 1e6
    out_w = round(math.sqrt(mp * 1e6 * 4 / 3))
    out_h = round(out_w * 3 / 4)
    # Table: a dark, slightly noisy gradient.
    base = np.linspace(70, 110, out_w, dtype=np.float32)[None, :, None] * np.array([1.0, 0.95, 0.85])
    table = np.broadcast_to(base.astype(np.float32), (out_h, out_w, 3)).copy()
    blotches = rng.normal(0, 6, (out_h // 8 + 1, out_w // 8 + 1, 1)).astype(np.float32)
    table += cv2.resize(blotches, (out_w, out_h), interpolation=cv2.INTER_LINEAR)[..., None]
    # Where the document's corners land: scaled to `fill` of the frame, tilted, each corner jittered.
    scale = min(out_w * fill / document.width, out_h * fill / document.height)
    w, h = document.width * scale, document.height * scale
    angle = math.radians(rng.uniform(-max_tilt_deg, max_tilt_deg))
    cx, cy = out_w / 2 + rng.uniform(-0.03, 0.03) * out_w, out_h / 2 + rng.uniform(-0.03, 0.03) * out_h
    corners = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        jx, jy = rng.uniform(-0.015, 0.015) * w, rng.uniform(-0.015, 0.015) * h
        x, y = dx + jx, dy + jy
        corners.append(
            (cx + x * math.cos(angle) - y * math.sin(angle), cy + x * math.sin(angle) + y * math.cos(angle))
        )
    src = np.array(
        [(0, 0), (document.width, 0), (document.width, document.height), (0, document.height)],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(src, np.array(corners, dtype=np.float32))
    doc = np.asarray(document.convert("RGB"))
    warped = cv2.warpPerspective(
        doc, matrix, (out_w, out_h), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    mask = cv2.warpPerspective(np.full(doc.shape[:2], 255, np.uint8), matrix, (out_w, out_h))
    alpha = (mask.astype(np.float32) / np.float32(255.0))[..., None]
    photo = warped.astype(np.float32) * alpha + table * (np.float32(1) - alpha)
    # Uneven light (a soft diagonal falloff), then sensor noise (float32 throughout: 12 MP is big).
    gx = np.linspace(0, 1, out_w, dtype=np.float32)[None, :] * np.float32(rng.uniform(0.3, 1))
    gy = np.linspace(0, 1, out_h, dtype=np.float32)[:, None] * np.float32(rng.uniform(0.3, 1))
    photo *= (1.0 - 0.12 * (gx + gy))[..., None]
    photo += rng.standard_normal(photo.shape, dtype=np.float32) * np.float32(4.0)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(radius=max(0.4, out_w / 3000)))
    return Image.open(io.BytesIO(to_jpeg(image, quality=jpeg_quality))).convert("RGB")


def to_jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def cnic_person(number: str = "35202-1234567-1", **changes: object) -> SpecimenPerson:
    """A CNIC specimen holder (Punjab province code 3, last digit odd = male)."""
    person = SpecimenPerson(
        surname="KHAN",
        given_names="IMRAN AHMED",
        birth_date=date(1990, 3, 14),
        sex="M",
        document_number=number,
        nationality="PAK",
        issuing_state="PAK",
        expiry_date=date(2031, 5, 20),
        issue_date=date(2021, 5, 20),
    )
    return replace(person, **changes)  # type: ignore[arg-type]
