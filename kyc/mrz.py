"""ICAO 9303 machine-readable zone: check digits, parsing and OCR repair (pure, no OCR here).

Formats (Doc 9303 Parts 4-6): TD1 = 3 lines of 30 (ID cards), TD2 = 2 x 36, TD3 = 2 x 44 (passports).
Visas (MRV-A/MRV-B) share the TD3/TD2 layouts and parse the same way.

Century of two-digit years (YYMMDD has none):
- birth dates are in the past: 20YY unless that is after `today`, then 19YY;
- expiry dates may be past or future: the century that puts the year in the window
  [today.year - 50, today.year + 49] (a 100-year window, so the choice is always unique).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Literal

MrzFormat = Literal["TD1", "TD2", "TD3"]
LINE_LENGTHS: dict[str, tuple[int, int]] = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}
FILLER = "<"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
_MRZ_CHARS = frozenset(_ALPHABET)


class MrzError(ValueError):
    """No MRZ-like text: the lines cannot be any of TD1/TD2/TD3 (never carries the text itself)."""


# --- check digits -----------------------------------------------------------------------------


def char_value(char: str) -> int:
    """ICAO value of one MRZ character: digits 0-9, A-Z 10-35, filler 0."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == FILLER:
        return 0
    raise ValueError("character outside the MRZ alphabet")


def check_digit(data: str) -> str:
    """The 7-3-1 weighted check digit of `data` (Doc 9303 Part 3, 4.9)."""
    weights = (7, 3, 1)
    return str(sum(char_value(c) * weights[i % 3] for i, c in enumerate(data)) % 10)


def _digit_ok(data: str, digit: str, *, filler_ok: bool = False) -> bool:
    # A filler check digit is allowed only for an optional field left entirely blank (TD3 personal no.).
    if filler_ok and digit == FILLER and set(data) <= {FILLER}:
        return True
    try:
        return check_digit(data) == digit
    except ValueError:
        return False


# --- OCR normalisation and repair ----------------------------------------------------------------

# Confusions seen with OCR engines on OCR-B (RapidOCR mostly O/0; tesseract reads '<' as K).
_TO_DIGIT = str.maketrans(
    {
        "O": "0",
        "Q": "0",
        "D": "0",
        "U": "0",
        "I": "1",
        "L": "1",
        "T": "1",
        "Z": "2",
        "S": "5",
        "B": "8",
        "G": "6",
        "A": "4",
    }
)
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A"})
# Alphanumeric fields (document number, optional data), text-only input: pairs to try both ways.
_AMBIGUOUS: dict[str, str] = {
    "O": "0",
    "0": "O",
    "Q": "0",
    "D": "0",
    "I": "1",
    "1": "I",
    "B": "8",
    "8": "B",
    "S": "5",
    "5": "S",
    "Z": "2",
    "2": "Z",
    "G": "6",
    "6": "G",
}
_FILLER_LOOKALIKES = ("«", "\u2039", "\u3008", "\uff1c", "≤", "(")
# Bounds of the candidate search in one field: at most 6 doubtful positions, 2 alternatives each,
# 3 substitutions at once, so at most 232 candidates.
_MAX_POSITIONS, _MAX_OPTIONS, _MAX_SUBSTITUTIONS = 6, 2, 3
_MIN_ALTERNATIVE_P = 0.02  # with recogniser probabilities: ignore alternatives it gave < 2%
_TEXT_ONLY_COST = 1.0  # one substitution, when only text is known
# OCR-B's O and 0 differ by a few pixels of width: recognisers swap them *confidently*, so this pair
# stays a candidate whatever the recogniser's probabilities (at the cost of a 1-in-20 guess).
_LOOKALIKES_WITH_READS: dict[str, str] = {"O": "0", "0": "O"}
_LOOKALIKE_COST = math.log(20)
_MAX_COMBINATIONS = 5  # best candidates per field tried together against the composite check digit
# A rival reading that also satisfies the check digits makes the choice a guess when it is less
# than 4x less likely (with recogniser probabilities), or exactly as likely (text only).
_AMBIGUITY_MARGIN = math.log(4)
_TEXT_ONLY_MARGIN = 0.5
# Check digits miss some double errors (two identical confusions at positions weighted 7 and 3:
# "0...0" read "O...O" keeps the digit). So even a text that validates as read is checked for
# rivals made only of doubtful characters: substitutes at least 1/4 as likely as what was read.
_DOUBT_COST = math.log(4)


@dataclass(frozen=True, slots=True)
class ReadChar:
    """One recognised character with the recogniser's probability and its other candidates."""

    char: str
    confidence: float
    alternatives: Mapping[str, float] = field(default_factory=dict)  # other MRZ characters -> p
    start: int = -1  # CTC time steps [start, end) the character was emitted over, when known
    end: int = -1
    gap_char: str = ""  # likeliest character within the blank steps just before this one
    gap_confidence: float = 0.0


Subs = tuple[Mapping[str, float], ...]  # per character: substitute -> cost (-log likelihood ratio)


@dataclass(frozen=True, slots=True)
class _Text:
    """A line or field with, per character, the substitutions the repair may try and their costs."""

    s: str
    subs: Subs
    weighted: bool = False  # costs come from recogniser probabilities (not the text-only table)

    def __getitem__(self, key: slice) -> _Text:
        return _Text(self.s[key], self.subs[key], self.weighted)

    def __add__(self, other: _Text) -> _Text:
        return _Text(self.s + other.s, self.subs + other.subs, self.weighted or other.weighted)

    def retext(self, s: str) -> _Text:
        return _Text(s, self.subs, self.weighted)


def _normal_char(char: str) -> str:
    char = char.upper()
    return FILLER if char in _FILLER_LOOKALIKES else char


def normalise_line(text: str) -> str:
    """Uppercase, map lookalikes of the filler, drop spaces and anything outside the MRZ alphabet."""
    return "".join(c for c in map(_normal_char, text) if c in _MRZ_CHARS)


def _text_only(text: str) -> _Text:
    line = normalise_line(text)
    return _Text(line, tuple({_AMBIGUOUS[c]: _TEXT_ONLY_COST} if c in _AMBIGUOUS else {} for c in line))


# One glyph read as two lookalikes in adjacent CTC steps ("O0" for one O): seen on big photos.
_SPLIT_PAIRS = frozenset(frozenset(p) for p in ("O0", "OQ", "0Q", "0D", "OD", "I1", "B8", "S5", "Z2", "G6"))


def _merge_splits(reads: Sequence[ReadChar], excess: int) -> list[ReadChar]:
    """Undo up to `excess` split glyphs: adjacent emissions with no blank between them that are
    lookalikes, least confident first. Only called for lines longer than their format allows."""
    out = list(reads)
    for _ in range(excess):
        pairs = [
            (min(a.confidence, b.confidence), i)
            for i, (a, b) in enumerate(itertools.pairwise(out))
            if a.end >= 0 and a.end == b.start and frozenset((a.char, b.char)) in _SPLIT_PAIRS
        ]
        if not pairs:
            break
        i = min(pairs)[1]
        a, b = out[i], out[i + 1]
        keep, other = (a, b) if a.confidence >= b.confidence else (b, a)
        alternatives = {
            **keep.alternatives,
            other.char: max(other.confidence, keep.alternatives.get(other.char, 0)),
        }
        out[i : i + 2] = [ReadChar(keep.char, keep.confidence, alternatives, a.start, b.end)]
    return out


def _restore_collapsed(reads: Sequence[ReadChar], missing: int) -> list[ReadChar]:
    """Put back up to `missing` characters lost where CTC collapsed a repeat ("BUTT" read "BUT",
    a '<' run one short). MRZ characters are evenly spaced, so emissions are too: a gap of about
    twice the usual spacing holds one lost character, most likely a copy of a neighbour (CTC merges
    identical neighbours unless a blank separates them). Without timing, nothing is done here."""
    starts = [r.start for r in reads]
    if missing <= 0 or len(reads) < 3 or min(starts) < 0:
        return list(reads)
    spacing = float(sorted(b - a for a, b in itertools.pairwise(starts))[len(starts) // 2])
    if spacing <= 0:
        return list(reads)
    gaps = sorted(
        ((b - a) / spacing, i)
        for i, (a, b) in enumerate(itertools.pairwise(starts))
        if b - a >= 1.5 * spacing
    )
    inserts: dict[int, int] = {}
    for ratio, i in reversed(gaps):  # widest gaps first
        if missing <= 0:
            break
        n = min(missing, max(1, round(ratio) - 1))
        inserts[i] = n
        missing -= n
    out: list[ReadChar] = []
    for i, read in enumerate(reads):
        out.append(read)
        following = reads[i + 1] if i + 1 < len(reads) else None
        # Which character was lost: the recogniser's best guess inside the gap when it names one of
        # the two neighbours (a collapsed repeat), else the preceding character repeated.
        lost, confidence = read.char, read.confidence
        if following is not None and following.gap_char in (read.char, following.char):
            lost, confidence = following.gap_char, following.gap_confidence
        out.extend(
            ReadChar(lost, confidence, start=read.start + round(spacing) * k)
            for k in range(1, inserts.get(i, 0) + 1)
        )
    return out


def _from_reads(reads: Sequence[ReadChar]) -> _Text:
    chars, subs = [], []
    for read in reads:
        char = _normal_char(read.char)
        if char not in _MRZ_CHARS:
            continue
        p = max(read.confidence, 1e-6)
        options = {}
        for alt, p_alt in read.alternatives.items():
            alt = _normal_char(alt)
            if alt in _MRZ_CHARS and alt != char and p_alt >= _MIN_ALTERNATIVE_P:
                options[alt] = max(0.0, math.log(p / p_alt))
        if char in _LOOKALIKES_WITH_READS:
            twin = _LOOKALIKES_WITH_READS[char]
            options[twin] = min(options.get(twin, _LOOKALIKE_COST), _LOOKALIKE_COST)
        chars.append(char)
        subs.append(options)
    return _Text("".join(chars), tuple(subs), weighted=True)


def fit_length(line: str, length: int) -> str:
    """Pad or trim to `length` where OCR loses or invents characters: inside the longest filler run.

    OCR most often drops or duplicates characters in long runs of '<' (CTC collapses repeats), so the
    correction goes there; this keeps the fixed-position fields after the run (e.g. a TD1 line 2
    composite check digit) in place. Without any run, pad or trim at the end.
    """
    return _fit(_Text(line, tuple({} for _ in line)), length).s


def _fit(line: _Text, length: int) -> _Text:
    if len(line.s) == length:
        return line
    runs = [(m.start(), m.end()) for m in re.finditer(r"<+", line.s)]
    pad = _Text(FILLER * length, tuple({} for _ in range(length)))
    if not runs:
        return (line + pad)[:length]
    start, end = max(runs, key=lambda r: (r[1] - r[0], r[0]))
    if len(line.s) < length:
        return line[:end] + pad[: length - len(line.s)] + line[end:]
    removable = min(len(line.s) - length, end - start)
    return (line[: end - removable] + line[end:])[:length]


def _as_digits(text: str) -> str:
    return text.translate(_TO_DIGIT)


def _as_letters(text: str) -> str:
    return text.translate(_TO_LETTER)


def _fillers_from_k(text: str) -> str:
    """K read for '<' (tesseract does this): a K-run between fillers, or ending the field, is filler.

    A one-letter given name "K" would be lost; names in MRZs are written in full, so this is rare.
    """
    return re.sub(r"(?<=<)K+(?=<|$)", lambda m: FILLER * len(m.group()), text)


def _name_field(text: str) -> str:
    return _fillers_from_k(_as_letters(text))


def _alnum_candidates(field_: _Text, digit: str, *, filler_ok: bool = False) -> list[tuple[float, str]]:
    """(cost, text) readings of an alphanumeric field that satisfy its check digit, most likely first.

    When the text validates as read, it comes first at cost 0, followed (with recogniser
    probabilities only) by rivals made of doubtful substitutions that validate too. Otherwise:
    substitutions at the most doubtful positions, costed by the recogniser's probabilities (or the
    confusion table for text only). When nothing validates: the text as read, so that the check
    digit failure is reported.
    """
    text = field_.s
    valid_as_read = _digit_ok(text, digit, filler_ok=filler_ok)
    if valid_as_read and not field_.weighted:
        return [(0.0, text)]
    max_cost = _DOUBT_COST if valid_as_read else math.inf
    doubtful = []
    for i, options in enumerate(field_.subs):
        cheapest = sorted((kv for kv in options.items() if kv[1] <= max_cost), key=lambda kv: kv[1])
        if cheapest:
            doubtful.append((cheapest[0][1], i, cheapest[:_MAX_OPTIONS]))
    doubtful = sorted(doubtful)[:_MAX_POSITIONS]
    found: list[tuple[float, str]] = []
    for n in range(1, min(_MAX_SUBSTITUTIONS, len(doubtful)) + 1):
        for combo in itertools.combinations(doubtful, n):
            for picks in itertools.product(*(options for _, _, options in combo)):
                chars = list(text)
                for (_, i, _), (alt, _) in zip(combo, picks, strict=True):
                    chars[i] = alt
                candidate = "".join(chars)
                if _digit_ok(candidate, digit, filler_ok=filler_ok):
                    found.append((sum(cost for _, cost in picks), candidate))
    if valid_as_read:
        return [(0.0, text), *sorted(found)]
    return sorted(found) or [(0.0, text)]


def _choose(
    fields: Sequence[list[tuple[float, str]]],
    composite_ok: Callable[[tuple[str, ...]], bool],
    margin: float,
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Pick one candidate per field: the cheapest combination that also satisfies the composite check
    digit. Returns the texts and the indexes of fields whose choice was a near tie (ambiguous)."""
    combos = sorted(
        (sum(cost for cost, _ in combo), tuple(text for _, text in combo))
        for combo in itertools.product(*(f[:_MAX_COMBINATIONS] for f in fields))
    )
    passing = [(cost, texts) for cost, texts in combos if composite_ok(texts)]
    if not passing:
        return combos[0][1], ()
    best_cost, best = passing[0]
    rivals = [texts for cost, texts in passing[1:] if cost <= best_cost + margin]
    ambiguous = tuple(i for i in range(len(fields)) if any(r[i] != best[i] for r in rivals))
    return best, ambiguous


def _repair_date(text: str) -> str:
    return _as_digits(text)


# --- result -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MrzResult:
    format: MrzFormat
    document_type: str  # 1-2 letters without filler: "P", "I", "ID", "AC", "V"...
    issuing_state: str  # ICAO 3-letter code, fillers stripped ("D" for Germany)
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: date | None
    sex: str  # "M", "F" or "X" (unspecified, '<' in the MRZ)
    expiry_date: date | None
    optional_data: str
    check_digits: MappingProxyType[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    lines: tuple[str, ...] = ()  # the repaired MRZ lines (personal data: never log them)
    ambiguous: tuple[str, ...] = ()  # fields repaired by a guess between near-equal candidates

    @property
    def valid(self) -> bool:
        return bool(self.check_digits) and all(self.check_digits.values())

    @property
    def certain(self) -> bool:
        """Valid, and no field was repaired by a coin toss."""
        return self.valid and not self.ambiguous

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(name for name, ok in self.check_digits.items() if not ok)


# --- dates --------------------------------------------------------------------------------------


def _yymmdd(text: str, year: int) -> date | None:
    try:
        return date(year, int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def parse_birth_date(text: str, today: date) -> date | None:
    if not text.isdigit():
        return None
    yy = int(text[:2])
    parsed = _yymmdd(text, 2000 + yy)
    if parsed is None or parsed > today:
        parsed = _yymmdd(text, 1900 + yy)
    return parsed


def parse_expiry_date(text: str, today: date) -> date | None:
    if not text.isdigit():
        return None
    yy = int(text[:2])
    year = 2000 + yy if 2000 + yy <= today.year + 49 else 1900 + yy
    if year < today.year - 50:
        year += 100
    return _yymmdd(text, year)


# --- layouts ------------------------------------------------------------------------------------------


def detect_format(lines: Sequence[str]) -> MrzFormat:
    """Pick TD1/TD2/TD3 from the number of lines and their lengths (nearest typical length)."""
    if len(lines) == 3:
        return "TD1"
    if len(lines) != 2:
        raise MrzError("an MRZ has 2 or 3 lines")
    mean = sum(len(line) for line in lines) / 2
    return "TD2" if abs(mean - 36) < abs(mean - 44) else "TD3"


def _split_name(text: str) -> tuple[str, str]:
    surname, _, given = text.partition("<<")
    return surname.replace(FILLER, " ").strip(), given.replace(FILLER, " ").strip()


def _clean(text: str) -> str:
    return text.replace(FILLER, " ").strip().replace(" ", "")


def _sex(char: str) -> str:
    return char if char in ("M", "F") else "X"


def _document_code(text: str) -> str:
    return _as_letters(text).replace(FILLER, "")


@dataclass(frozen=True, slots=True)
class _Number:
    """A document number with its check digit; `long` when it overflows into the optional data."""

    value: _Text
    digit: str
    long: bool
    rest: str  # optional data after the overflow (the whole field when not long)


def _split_number(number: _Text, digit: str, optional: _Text) -> _Number:
    """TD1/TD2 numbers over 9 characters: '<' in the check-digit position, then the remaining
    characters and the check digit open the optional data, ended by a filler (Doc 9303 Part 5/6)."""
    if digit == FILLER:
        head = optional.s.partition(FILLER)[0]
        if len(head) >= 2:
            rest = optional.s[len(head) + 1 :]
            return _Number(number + optional[: len(head) - 1], _as_digits(head[-1]), True, rest)
    return _Number(number, _as_digits(digit), False, optional.s)


def _join_number(num: _Number, optional_length: int) -> tuple[str, str]:
    """The 10-character number field (with check digit or overflow filler) and the optional field."""
    if not num.long:
        return num.value.s + num.digit, num.rest
    optional = (num.value.s[9:] + num.digit + FILLER + num.rest)[:optional_length]
    return num.value.s[:9] + FILLER, optional.ljust(optional_length, FILLER)


def _margin(text: _Text) -> float:
    return _AMBIGUITY_MARGIN if text.weighted else _TEXT_ONLY_MARGIN


def _parse_td1(l1: _Text, l2: _Text, l3: _Text, today: date) -> MrzResult:
    a, b = l1.s, l2.s
    code, state = _document_code(a[0:2]), _as_letters(a[2:5])
    num = _split_number(l1[5:14], a[14], l1[15:30].retext(_fillers_from_k(a[15:30])))
    birth, birth_digit = _repair_date(b[0:6]), _as_digits(b[6])
    sex, expiry, expiry_digit = b[7], _repair_date(b[8:14]), _as_digits(b[14])
    nationality, optional2, composite = _as_letters(b[15:18]), _fillers_from_k(b[18:29]), _as_digits(b[29])
    line2 = birth + birth_digit + sex + expiry + expiry_digit + nationality + optional2 + composite

    def line1_for(number: str) -> str:
        number_field, optional1 = _join_number(replace(num, value=num.value.retext(number)), 15)
        return _as_letters(a[0:2]) + state + number_field + optional1

    def composite_ok(texts: tuple[str, ...]) -> bool:
        return _digit_ok(line1_for(texts[0])[5:30] + line2[0:7] + line2[8:15] + line2[18:29], composite)

    (number,), ambiguous = _choose([_alnum_candidates(num.value, num.digit)], composite_ok, _margin(l1))
    line1 = line1_for(number)
    name = _name_field(l3.s)
    surname, given = _split_name(name)
    checks = {
        "document_number": _digit_ok(number, num.digit),
        "birth_date": _digit_ok(birth, birth_digit),
        "expiry_date": _digit_ok(expiry, expiry_digit),
        "composite": composite_ok((number,)),
    }
    return MrzResult(
        format="TD1",
        document_type=code,
        issuing_state=state.replace(FILLER, ""),
        document_number=number.replace(FILLER, ""),
        surname=surname,
        given_names=given,
        nationality=nationality.replace(FILLER, ""),
        birth_date=parse_birth_date(birth, today),
        sex=_sex(sex),
        expiry_date=parse_expiry_date(expiry, today),
        optional_data=_clean(num.rest) + _clean(optional2),
        check_digits=MappingProxyType(checks),
        lines=(line1, line2, name),
        ambiguous=("document_number",) if ambiguous else (),
    )


def _parse_two_line(fmt: MrzFormat, l1: _Text, l2: _Text, today: date) -> MrzResult:
    a, b = l1.s, l2.s
    width = len(b)
    code, state, name = _document_code(a[0:2]), _as_letters(a[2:5]), _name_field(a[5:])
    nationality = _as_letters(b[10:13])
    birth, birth_digit, sex = _repair_date(b[13:19]), _as_digits(b[19]), b[20]
    expiry, expiry_digit = _repair_date(b[21:27]), _as_digits(b[27])
    composite = _as_digits(b[width - 1])
    middle = nationality + birth + birth_digit + sex + expiry + expiry_digit
    if fmt == "TD3":
        # TD3 numbers never overflow; the personal number has its own check digit (or '<' if blank).
        num = _Number(l2[0:9], _as_digits(b[9]), False, "")
        opt_digit = b[42] if b[42] == FILLER else _as_digits(b[42])
        optional = l2[28:42].retext(_fillers_from_k(b[28:42]))
        fields = [
            _alnum_candidates(num.value, num.digit),
            _alnum_candidates(optional, opt_digit, filler_ok=True),
        ]

        def line2_for(texts: tuple[str, ...]) -> str:
            return texts[0] + num.digit + middle + texts[1] + opt_digit + composite
    else:
        num = _split_number(l2[0:9], b[9], l2[28:35].retext(_fillers_from_k(b[28:35])))
        fields = [_alnum_candidates(num.value, num.digit)]

        def line2_for(texts: tuple[str, ...]) -> str:
            number_field, tail = _join_number(replace(num, value=num.value.retext(texts[0])), 7)
            return number_field + middle + tail + composite

    def composite_ok(texts: tuple[str, ...]) -> bool:
        line = line2_for(texts)
        return _digit_ok(line[0:10] + line[13:20] + line[21 : width - 1], composite)

    chosen, ambiguous = _choose(fields, composite_ok, _margin(l2))
    line2 = line2_for(chosen)
    checks = {
        "document_number": _digit_ok(chosen[0], num.digit),
        "birth_date": _digit_ok(birth, birth_digit),
        "expiry_date": _digit_ok(expiry, expiry_digit),
    }
    if fmt == "TD3":
        checks["optional_data"] = _digit_ok(chosen[1], opt_digit, filler_ok=True)
    checks["composite"] = composite_ok(chosen)
    surname, given = _split_name(name)
    return MrzResult(
        format=fmt,
        document_type=code,
        issuing_state=state.replace(FILLER, ""),
        document_number=chosen[0].replace(FILLER, ""),
        surname=surname,
        given_names=given,
        nationality=nationality.replace(FILLER, ""),
        birth_date=parse_birth_date(birth, today),
        sex=_sex(sex),
        expiry_date=parse_expiry_date(expiry, today),
        optional_data=_clean(chosen[1] if fmt == "TD3" else num.rest),
        check_digits=MappingProxyType(checks),
        lines=(_as_letters(a[0:2]) + state + name, line2),
        ambiguous=tuple(("document_number", "optional_data")[i] for i in ambiguous),
    )


def parse_mrz(
    lines: Sequence[str], *, today: date | None = None, reads: Sequence[Sequence[ReadChar]] | None = None
) -> MrzResult:
    """Parse (and repair) an OCR'd MRZ. Raises `MrzError` when the text cannot be an MRZ at all.

    `reads`, when the recogniser provides them (one `ReadChar` per character of each line), rank the
    repairs of alphanumeric fields by the recogniser's own probabilities; without them a fixed table
    of OCR-B confusions is tried, at most 3 substitutions, fewest first.

    Check-digit failures do not raise: they are reported in `check_digits` / `valid`, because the
    caller must tell a bad read (re-read it) from a tampered document.
    """
    today = today or date.today()
    if reads is not None and len(reads) == len(lines):
        kept = [[r for r in line if _normal_char(r.char) in _MRZ_CHARS] for line in reads]
        kept = [line for line in kept if line]
        length = LINE_LENGTHS[detect_format(["x" * len(line) for line in kept])][1]
        texts = [
            _from_reads(
                _merge_splits(line, len(line) - length)
                if len(line) > length
                else _restore_collapsed(line, length - len(line))
            )
            for line in kept
        ]
    else:
        texts = [_text_only(line) for line in lines]
    texts = [t for t in texts if t.s]
    fmt = detect_format([t.s for t in texts])
    length = LINE_LENGTHS[fmt][1]
    # Too garbled to be a read of this format (e.g. a printed text line): refuse rather than guess.
    if any(abs(len(t.s) - length) > length // 4 for t in texts):
        raise MrzError("line lengths do not match any MRZ format")
    fitted = [_fit(t, length) for t in texts]
    if fmt == "TD1":
        return _parse_td1(fitted[0], fitted[1], fitted[2], today)
    return _parse_two_line(fmt, fitted[0], fitted[1], today)


# --- finding the MRZ among OCR'd lines ---------------------------------------------------------------


def mrz_likeness(text: str) -> float:
    """0..1: how much a text line looks like an MRZ line (length, alphabet, fillers)."""
    raw = text.upper().replace(" ", "")
    if not raw:
        return 0.0
    norm = normalise_line(raw)
    alphabet = len(norm) / len(raw)
    length = max((1.0 - abs(len(norm) - n) / n for n in (30, 36, 44)), default=0.0)
    fillers = min(1.0, norm.count(FILLER) / 2)
    return max(0.0, alphabet * max(length, 0.0) * (0.5 + 0.5 * fillers))


def extract_mrz_lines(texts: Sequence[str], *, min_likeness: float = 0.6) -> list[str] | None:
    """The last run of 2-3 consecutive MRZ-like lines (top-to-bottom order), or None."""
    found = extract_mrz_indices(texts, min_likeness=min_likeness)
    return [texts[i] for i in found] if found else None


def extract_mrz_indices(texts: Sequence[str], *, min_likeness: float = 0.6) -> list[int] | None:
    """Indexes of the last run of 2-3 consecutive MRZ-like lines, or None."""
    flags = [mrz_likeness(t) >= min_likeness for t in texts]
    best: list[int] | None = None
    i = 0
    while i < len(texts):
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < len(texts) and flags[j]:
            j += 1
        run = list(range(i, j))
        if len(run) >= 2:
            best = run[-3:] if len(run) >= 3 and _looks_td1([texts[k] for k in run[-3:]]) else run[-2:]
        i = j
    return best


def _looks_td1(run: Sequence[str]) -> bool:
    return sum(len(normalise_line(t)) for t in run) / len(run) < 33
