"""A logging filter that masks anything looking like personal data before a line is written.

The code logs ids and codes only; this is the safety net for what slips through (an exception
message from a library, a third party's error body): MRZ lines, CNIC numbers, e-mail addresses,
phone-like and other long digit runs. It rewrites the record in place, so every handler and
formatter downstream (plain or JSON) sees only the masked text.
"""

from __future__ import annotations

import logging
import re

MASK = "[scrubbed]"

_PATTERNS = (
    # Bearer secrets (client secrets, API keys, webhook secrets): the hosted capture page's URL
    # `/v/vcs_...` carries one, and access logs write request paths. First, so that no digit rule
    # masks only part of one.
    re.compile(r"\b(?:vcs|tdq_live|tdq_test|whsec)_[A-Za-z0-9_-]{16,}"),
    # Machine-readable zone lines: 30 (TD1), 36 (TD2) or 44 (TD3) characters of A-Z, 0-9 and '<',
    # with the filler '<' that ordinary text never has.
    re.compile(r"[A-Z0-9<]{8,}<[A-Z0-9<]{8,}"),
    # Pakistani CNIC: #####-#######-#
    re.compile(r"\b\d{5}-\d{7}-\d\b"),
    # E-mail addresses.
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    # Phone numbers and document numbers: 8+ digits, possibly with spaces or dashes, an optional +.
    # The look-behind keeps UUIDs' last group and hex digests (letters around) intact.
    re.compile(r"(?<![\w-])\+?\d(?:[ -]?\d){7,}(?![\w-])"),
)


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string must not lose the line
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
        if record.exc_info:
            # Tracebacks carry exception messages: format once here, masked, and drop the original.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
