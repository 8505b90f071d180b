"""Is the name on an attestation the name on the identity document? Tolerant, and measured.

The same person's name is written many ways: in another script (Arabic, Urdu, Gujarati), in
another order (given name first or family name first), with or without honorifics and particles
(Haji, Syed, bin, binti, ibn, al-), with the many romanisations of Muhammad (Mohd, Md, Mohammed,
...) and with vowel spellings that differ from one office to the next (Hussain / Husain /
Hussein). `name_similarity` folds all of that away before comparing sorted tokens with
rapidfuzz, and `check_name_match` applies the threshold calibrated by `python -m bench.names`
(the measured FMR and FNMR are in README "Community affiliation").

Pure functions: names come in, a score and a `CheckResult` go out; nothing is logged.
"""

from __future__ import annotations

import re

from anyascii import anyascii
from rapidfuzz import fuzz

from kyc.results import CheckResult, failed, passed, timed

# Calibrated with `python -m bench.names` (README): the lowest threshold with no false match between
# two Latin-script names of bench/name_pairs.py (relatives included); the misses left are names
# missing a middle name, which go to a person.
NAME_MATCH_THRESHOLD = 90.0

# Words that say something about a person but are not their name, or are so common in one
# community that they carry no identity (nearly every man's first name may be Muhammad).
_DROPPED = frozenset(
    {
        # honorifics and titles
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "haji",
        "hajji",
        "hajjah",
        "hajah",
        "hj",
        "hjh",
        # (Sheikh / Shaikh is left in: in South Asia it is as often a family name as a title.)
        "syed",
        "syeda",
        "sayyid",
        "sayyida",
        "sayed",
        "bhai",  # "brother", written after a given name: Abbas Bhai, Alibhai
        "bhen",
        "ben",
        "mufti",
        "maulana",
        "mawlana",
        "molvi",
        "hafiz",
        "sahib",
        "saheb",
        "sahiba",
        "begum",
        "bibi",
        "mian",
        "sri",
        "shri",
        "smt",
        # filiation and article particles
        "bin",
        "binti",
        "bint",
        "ibn",
        "bn",
        "bte",
        "bt",
        "al",
        "el",
        "ul",
        "ud",
        "ad",
        "ur",
        "s/o",
        "d/o",
        "w/o",
        # the romanisations of Muhammad (folded to "muhammad" first, then dropped)
        "muhammad",
    }
)

# Spellings of Muhammad found on documents; all read as the same token.
_MUHAMMAD = frozenset(
    {
        "muhammad",
        "muhammed",
        "muhamad",
        "muhamed",
        "mohammad",
        "mohammed",
        "mohamad",
        "mohamed",
        "mohamud",
        "mohd",
        "muhd",
        "mhd",
        "md",
        "mohd.",
        "mohammod",
        "mahomed",
        "muhamat",
    }
)

# Romanisation variants: applied in order to each token's "skeleton".
_SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^abdul(?=.)", "abd"),  # Abdul Rahman / Abdur Rahman / Abdel Rahman
        (r"^abdur(?=.)", "abd"),
        (r"^abdel(?=.)", "abd"),
        (r"^abd-?", "abd"),
        (r"ph", "f"),
        (r"q", "k"),
        (r"kh", "k"),
        (r"gh", "g"),
        (r"th", "t"),
        (r"dh", "d"),
        (r"sh", "s"),
        (r"ch", "c"),
        (r"z", "s"),  # Zainab / Sainab is rare; Hafiz / Hafeez / Hafis is common
        (r"w", "v"),
        (r"y", "i"),
        (r"ou", "u"),
        (r"oo", "u"),
        (r"ee", "i"),
        (r"ei", "i"),
        (r"ie", "i"),
        (r"(.)\1+", r"\1"),  # doubled letters: Hussain / Husain
        (r"(?<=.)h\b", ""),  # final h: Fatimah / Fatima, Aisha / Aishah
        (r"(?<=[^aeiou])h", ""),  # aspirates after consonants: Bhatt / Batt
        (r"e", "a"),  # Hussein / Hussain, Ahmed / Ahmad
        (r"o", "u"),  # Osman / Usman
        (r"aa", "a"),
        (r"ii", "i"),
        (r"uu", "u"),
    )
)

_NOT_LETTER = re.compile(r"[^a-z/ ]+")
_VOWELISH = re.compile(r"[aeiouyhw]+")


def name_tokens(name: str) -> list[str]:
    """Transliterate to ASCII, casefold, drop punctuation, honorifics and particles."""
    ascii_name = anyascii(name).casefold()
    ascii_name = ascii_name.replace("-", " ").replace("'", "").replace("`", "")
    words = _NOT_LETTER.sub(" ", ascii_name).split()
    folded = ["muhammad" if word in _MUHAMMAD else word for word in words]
    folded = [word[:-4] if word.endswith("bhai") and len(word) > 6 else word for word in folded]
    kept = [word for word in folded if word not in _DROPPED]
    # A name made only of dropped words ("Muhammad") is still a name: keep it rather than nothing.
    return kept or folded


def _skeleton(token: str) -> str:
    for pattern, replacement in _SKELETON_RULES:
        token = pattern.sub(replacement, token)
    return token


def normalise_name(name: str) -> str:
    """The comparable form: skeleton tokens in sorted order (order-insensitive). Sorted by their
    consonants first, so that two spellings of one token (Sheikh / Shaikh) sort to the same place."""
    skeletons = [_skeleton(token) for token in name_tokens(name)]
    return " ".join(sorted(skeletons, key=lambda token: (_VOWELISH.sub("", token), token)))


def _consonant_key(name: str) -> str:
    """Sorted consonant skeletons: Arabic and Urdu are written without short vowels, and Indic
    scripts' inherent vowel is lost in transliteration, so only consonants compare across scripts."""
    keys = []
    for token in name_tokens(name):
        token = token.replace("ph", "f").replace("q", "k").replace("z", "s")
        keys.append(re.sub(r"(.)\1+", r"\1", _VOWELISH.sub("", token)))
    return " ".join(sorted(key for key in keys if key))


# What a masculine/feminine pair of one name (Karim / Karima) scores at most: a different person.
RELATIVE_NAME_CAP = 75.0


def _relative_forms(a: list[str], b: list[str]) -> bool:
    """Karim / Karima, Rashid / Rashida, Imran / Imrana: one side has a token the other has only
    with a final "a" (Karimah folds to karima). These are the masculine and feminine of one name,
    two people, and likely ones (a brother's card shown by his sister); measured, they scored 95-96
    before this rule (README, `python -m bench.names`). It holds for Indic scripts too, whose
    transliteration keeps a written final vowel (अमीना: amina); Arabic script writes no short vowels,
    so there it cannot tell (حامد: hmd, for Hamid and Hamida alike)."""
    left, right = set(a), set(b)
    return any(
        token + "a" in other and token not in other and token + "a" not in side
        for side, other in ((left, right), (right, left))
        for token in side
    )


def name_similarity(a: str, b: str) -> float:
    """0..100: rapidfuzz's ratio of the normalised names. A name that lacks a middle name of the
    other is not forgiven (a token-set comparison was measured: "Muhammad Ali Khan" then matched
    "Ali Hassan Khan"); such a case goes to a person. A name in a non-Latin script is also
    compared on consonants only (see `_consonant_key`)."""
    left, right = normalise_name(a), normalise_name(b)
    if not left or not right:
        return 0.0
    score = fuzz.ratio(left, right)
    if not (a.isascii() and b.isascii()):
        score = max(score, fuzz.ratio(_consonant_key(a), _consonant_key(b)) - 5.0)
    if _relative_forms(left.split(), right.split()):
        score = min(score, RELATIVE_NAME_CAP)
    return float(score)


@timed
def check_name_match(attestation_name: str, document_name: str) -> CheckResult:
    """The attestation's name against the verified document's; mismatch goes to a person."""
    score = name_similarity(attestation_name, document_name)
    if score >= NAME_MATCH_THRESHOLD:
        return passed("attestation_name_match", name_similarity=score)
    return failed("attestation_name_match", "attestation_name_mismatch", name_similarity=score)
