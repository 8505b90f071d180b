"""Phone numbers: validation and E.164 normalisation (phonenumbers), and the keyed hash we keep."""

from __future__ import annotations

import phonenumbers
from django.conf import settings

from verification.errors import InvalidInput
from verification.identity import keyed_digest

# Numbers SMS can reach; fixed lines and premium numbers cannot receive a code.
_TEXTABLE = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


def normalise_phone_number(raw: str, *, default_region: str | None = None) -> str:
    """The number in E.164 ("+447700900123"), or InvalidInput `invalid_phone_number`.

    The error never echoes the number (it is personal data and would reach logs and clients).
    """
    try:
        parsed = phonenumbers.parse(raw, default_region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidInput("The phone number is not valid.", code="invalid_phone_number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput("The phone number is not valid.", code="invalid_phone_number")
    if phonenumbers.number_type(parsed) not in _TEXTABLE:
        raise InvalidInput("The phone number cannot receive text messages.", code="phone_number_not_mobile")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_digest(*, tenant_id: str, e164: str) -> str:
    """A keyed hash of the number, per tenant (like identity_digest): comparable, not reversible."""
    return keyed_digest(f"phone|{tenant_id}|{e164}")
