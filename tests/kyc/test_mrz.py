"""ICAO 9303 parsing and OCR repair (pure: no OCR, no images)."""

from __future__ import annotations

from datetime import date

import pytest

from kyc.mrz import (
    MrzError,
    ReadChar,
    check_digit,
    extract_mrz_lines,
    fit_length,
    normalise_line,
    parse_birth_date,
    parse_expiry_date,
    parse_mrz,
)

TODAY = date(2025, 6, 1)

# Doc 9303 Part 4 (TD3), Part 5 (TD1, and its long document number example), Part 6 (TD2).
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")


@pytest.mark.parametrize(
    ("data", "digit"),
    [
        ("L898902C3", "6"),  # TD3 document number
        ("740812", "2"),  # date of birth
        ("120415", "9"),  # date of expiry
        ("ZE184226B<<<<<", "1"),  # TD3 personal number
        ("L898902C36" + "7408122" + "1204159" + "ZE184226B<<<<<1", "0"),  # TD3 composite
        ("D23145890", "7"),  # TD1/TD2 document number
        ("D231458907<<<<<<<<<<<<<<<" + "7408122" + "1204159" + "<<<<<<<<<<<", "6"),  # TD1 composite
        ("D231458907" + "7408122" + "1204159" + "<<<<<<<", "6"),  # TD2 composite
        ("D23145890734", "9"),  # TD1 long document number
        ("<<<<<<", "0"),
    ],
)
def test_check_digit_against_icao_specimens(data: str, digit: str) -> None:
    assert check_digit(data) == digit


def test_check_digit_rejects_characters_outside_the_alphabet() -> None:
    with pytest.raises(ValueError, match="alphabet"):
        check_digit("AB-12")


def test_parse_td3_specimen() -> None:
    r = parse_mrz(TD3, today=TODAY)
    assert (r.format, r.document_type, r.issuing_state, r.document_number) == ("TD3", "P", "UTO", "L898902C3")
    assert (r.surname, r.given_names, r.nationality, r.sex) == ("ERIKSSON", "ANNA MARIA", "UTO", "F")
    assert r.birth_date == date(1974, 8, 12)
    assert r.expiry_date == date(2012, 4, 15)
    assert r.optional_data == "ZE184226B"
    assert dict(r.check_digits) == {
        "document_number": True,
        "birth_date": True,
        "expiry_date": True,
        "optional_data": True,
        "composite": True,
    }
    assert r.valid
    assert r.certain
    assert r.lines == TD3


def test_parse_td1_specimen() -> None:
    r = parse_mrz(TD1, today=TODAY)
    assert (r.format, r.document_type, r.issuing_state, r.document_number) == ("TD1", "I", "UTO", "D23145890")
    assert (r.surname, r.given_names, r.nationality, r.sex) == ("ERIKSSON", "ANNA MARIA", "UTO", "F")
    assert (r.birth_date, r.expiry_date) == (date(1974, 8, 12), date(2012, 4, 15))
    assert set(r.check_digits) == {"document_number", "birth_date", "expiry_date", "composite"}
    assert r.valid
    assert r.lines == TD1


def test_parse_td1_long_document_number_overflows_into_optional_data() -> None:
    r = parse_mrz(TD1_LONG, today=TODAY)
    assert r.document_number == "D23145890734"
    assert r.optional_data == ""
    assert (r.surname, r.given_names, r.sex) == ("STEVENSON", "PETER JOHN", "M")
    assert (r.birth_date, r.expiry_date) == (date(1934, 7, 12), date(1995, 7, 12))
    assert r.valid
    assert r.lines == TD1_LONG


def test_parse_td2_specimen() -> None:
    r = parse_mrz(TD2, today=TODAY)
    assert (r.format, r.document_type, r.document_number, r.surname) == ("TD2", "I", "D23145890", "ERIKSSON")
    assert r.valid
    assert r.lines == TD2


def test_two_letter_document_codes_and_short_state_codes() -> None:
    line1 = "ID" + "D<<" + TD1[0][5:]
    line2 = TD1[1][:15] + "D<<" + TD1[1][18:29]
    composite = check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    r = parse_mrz((line1, line2 + composite, TD1[2]), today=TODAY)
    assert (r.document_type, r.issuing_state, r.nationality) == ("ID", "D", "D")
    assert r.valid


# --- tampering -------------------------------------------------------------------------------------


def test_changed_check_digit_fails_that_field_and_the_composite() -> None:
    line2 = TD3[1][:19] + "5" + TD3[1][20:]  # birth date check digit 2 -> 5
    r = parse_mrz((TD3[0], line2), today=TODAY)
    assert not r.valid
    assert r.failed_checks == ("birth_date", "composite")


def test_changed_field_with_original_check_digit_fails() -> None:
    line2 = TD3[1][:13] + "900812" + TD3[1][19:]  # born 1990 instead of 1974, digits untouched
    r = parse_mrz((TD3[0], line2), today=TODAY)
    assert "birth_date" in r.failed_checks
    assert not r.valid


# --- OCR repair -------------------------------------------------------------------------------------------


def test_letter_digit_confusions_repaired_by_field_type() -> None:
    # O for 0 in dates, 0 for O in the state code and names, I for 1 in a check digit.
    line1 = "P<UT0ERIKSS0N<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    line2 = "L898902C36UT0740B12ZF1204I59ZE184226B<<<<<I0"
    r = parse_mrz((line1, line2), today=TODAY)
    assert r.lines == TD3
    assert r.valid


def test_document_number_repaired_through_its_check_digit() -> None:
    line2 = "L8989O2C36" + TD3[1][10:]  # O read for the 0 inside an alphanumeric number
    r = parse_mrz((TD3[0], line2), today=TODAY)
    assert r.document_number == "L898902C3"
    assert r.valid


def test_spaces_guillemets_and_lost_fillers() -> None:
    line1 = "P«UTOERIKSSON<«ANNA<MARIA<<<<<<<<<<<<<<<"  # 4 fillers lost in the run, two read as «
    line2 = "L898902C36 UTO7408122F1204159 ZE184226B<<<<<<<<10"  # word gaps, 3 fillers too many
    r = parse_mrz((line1, line2), today=TODAY)
    assert r.lines == TD3
    assert r.valid


def test_k_read_for_filler() -> None:
    line1 = "P<UTOERIKSSON<<ANNA<MARIA<KKKKK<<<<<<<<<<KKK"
    assert parse_mrz((line1, TD3[1]), today=TODAY).lines[0] == TD3[0]


def test_fit_length_keeps_trailing_fields_in_place() -> None:
    assert fit_length("7408122F1204159UTO<<<<<<<<6", 30) == "7408122F1204159UTO<<<<<<<<<<<6"
    assert fit_length("7408122F1204159UTO<<<<<<<<<<<<<<6", 30) == "7408122F1204159UTO<<<<<<<<<<<6"
    assert fit_length("ABC", 5) == "ABC<<"
    assert normalise_line("p<uto eriksson«") == "P<UTOERIKSSON<"


def test_recogniser_probabilities_settle_a_tie_that_text_alone_cannot() -> None:
    # True number XCT982W7Z read as XCT982W72: Z->2 at position 8 and at position 5 (same 7-3-1
    # weight) both restore the check digit. Text alone: flagged ambiguous. With the recogniser's
    # probabilities (position 8 was doubtful, with Z as runner-up), the right one is chosen.
    from tests.specimens.documents import SpecimenPerson, td3_mrz

    person = SpecimenPerson(document_number="XCT982W7Z", nationality="TUR", issuing_state="TUR")
    line1, line2 = td3_mrz(person)
    misread = "XCT982W72" + line2[9:]
    assert parse_mrz((line1, misread), today=TODAY).ambiguous == ("document_number",)

    reads = [[ReadChar(c, 0.99) for c in line1], [ReadChar(c, 0.99) for c in misread]]
    reads[1][8] = ReadChar("2", 0.55, {"Z": 0.40})
    r = parse_mrz((line1, misread), today=TODAY, reads=reads)
    assert r.document_number == "XCT982W7Z"
    assert r.certain


def test_confident_characters_are_not_rewritten_to_force_a_check_digit() -> None:
    # A misread check digit must not be "fixed" by changing a number the recogniser was sure of.
    line2 = TD3[1][:9] + "3" + TD3[1][10:]
    reads = [[ReadChar(c, 0.999) for c in TD3[0]], [ReadChar(c, 0.999) for c in line2]]
    r = parse_mrz((TD3[0], line2), today=TODAY, reads=reads)
    assert r.document_number == "L898902C3"
    assert "document_number" in r.failed_checks


# --- dates -----------------------------------------------------------------------------------------------


def test_centuries() -> None:
    assert parse_birth_date("740812", TODAY) == date(1974, 8, 12)
    assert parse_birth_date("100101", TODAY) == date(2010, 1, 1)
    assert parse_birth_date("300101", TODAY) == date(1930, 1, 1)  # 2030 is in the future
    assert parse_expiry_date("340415", TODAY) == date(2034, 4, 15)
    assert parse_expiry_date("120415", TODAY) == date(2012, 4, 15)
    assert parse_expiry_date("990101", TODAY) == date(1999, 1, 1)  # 2099 is beyond today + 49 years
    assert parse_expiry_date("741301", TODAY) is None  # month 13
    assert parse_birth_date("74O812", TODAY) is None  # not digits (the parser repairs before this)


# --- garbage -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        ["PASSPORT PASSEPORT"],
        ["NAME", "SURNAME", "ADDRESS", "TOWN"],
        ["12 EXAMPLE STREET", "SAMPLE TOWN"],
        [],
    ],
)
def test_not_an_mrz(lines: list[str]) -> None:
    with pytest.raises(MrzError):
        parse_mrz(lines, today=TODAY)


def test_error_messages_carry_no_personal_data() -> None:
    with pytest.raises(MrzError) as info:
        parse_mrz(["ERIKSSON ANNA", "L898902C3"], today=TODAY)
    assert "ERIKSSON" not in str(info.value)
    assert "L898902C3" not in str(info.value)


def test_extract_mrz_lines_among_printed_text() -> None:
    texts = ["PASSPORT", "Surname", "ERIKSSON", "Date of birth", "12 AUG 1974", *TD3]
    assert extract_mrz_lines(texts) == list(TD3)
    assert extract_mrz_lines(["Name", "IMRAN AHMED KHAN", "35202-1234567-1"]) is None
    assert extract_mrz_lines(["Date of issue", *TD1]) == list(TD1)


def _reads(line: str, step: int = 2) -> list[ReadChar]:
    """Reads as the recogniser gives them: one character every `step` CTC steps, blanks between."""
    return [ReadChar(c, 0.99, {}, i * step, i * step + 1) for i, c in enumerate(line)]


def test_a_glyph_split_into_two_lookalikes_is_merged_back() -> None:
    # "O" of ERIKSSON emitted as "O" then "0" in adjacent steps: the line is one character too long.
    line1 = TD3[0]
    at = line1.index("SON") + 1
    split = _reads(line1)
    o = split[at]
    split[at : at + 1] = [
        ReadChar("O", 0.97, {}, o.start, o.start + 1),
        ReadChar("0", 0.6, {}, o.start + 1, o.end),
    ]
    r = parse_mrz(("".join(x.char for x in split), TD3[1]), today=TODAY, reads=[split, _reads(TD3[1])])
    assert r.surname == "ERIKSSON"
    assert r.lines == TD3


def test_adjacent_distinct_letters_are_not_merged() -> None:
    # Same length as expected: nothing is merged even where emissions touch.
    touching = [ReadChar(c, 0.99, {}, i, i + 1) for i, c in enumerate(TD3[0])]
    r = parse_mrz(TD3, today=TODAY, reads=[touching, _reads(TD3[1])])
    assert r.lines == TD3


def test_a_collapsed_double_letter_is_restored_from_timing() -> None:
    # "ERIKSSON" read "ERIKSON": CTC merged the two S (no blank between them). The emissions show a
    # gap of two character spacings where the first S was, and the recogniser's best guess in it is S.
    line1 = TD3[0]
    reads = _reads(line1)
    at = line1.index("SS")
    lost = reads.pop(at)
    reads[at] = ReadChar("S", 0.99, {}, reads[at].start, reads[at].end, "S", 0.3)
    assert lost.char == "S"
    r = parse_mrz(("".join(x.char for x in reads), TD3[1]), today=TODAY, reads=[reads, _reads(TD3[1])])
    assert r.surname == "ERIKSSON"
    assert r.lines == TD3


def test_undetectable_double_confusion_is_flagged_when_the_recogniser_doubted() -> None:
    # "0" read "O" twice, at positions weighted 7 and 3: 24 * (7 + 3) = 240, the check digit and the
    # composite still hold. The recogniser was unsure of both: the reading must not count as certain.
    from tests.specimens.documents import SpecimenPerson, td1_mrz

    line1, line2, line3 = td1_mrz(SpecimenPerson(document_number="PKER0Z0TK"))
    misread = line1[:9] + "O" + line1[10] + "O" + line1[12:]
    reads = [_reads(misread), _reads(line2), _reads(line3)]
    for at in (9, 11):
        reads[0][at] = ReadChar("O", 0.6, {"0": 0.4}, reads[0][at].start, reads[0][at].end)
    r = parse_mrz((misread, line2, line3), today=TODAY, reads=reads)
    assert r.valid
    assert r.ambiguous == ("document_number",)
    assert not r.certain
    # Read confidently, the same text is taken as it is (nothing to doubt).
    assert parse_mrz(
        (misread, line2, line3), today=TODAY, reads=[_reads(x) for x in (misread, line2, line3)]
    ).certain
