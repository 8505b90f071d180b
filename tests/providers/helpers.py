"""Shared bits of the provider tests: specimen images as the adapters get them, and the specs."""

from __future__ import annotations

import uuid
from functools import cache

from kyc.adapters.resilience import CallSpec
from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.documents import SpecimenPerson
from tests.specimens.faces import PEOPLE

PERSON = SpecimenPerson()


@cache
def passport() -> bytes:
    return passport_jpeg(PERSON, PEOPLE[0])


@cache
def selfie() -> bytes:
    return selfie_jpeg(PEOPLE[0])


def spec(
    provider: str = "aws_rekognition", operation: str = "detect_faces", input_hash: str = ""
) -> CallSpec:
    return CallSpec(provider, operation, None, input_hash or uuid.uuid4().hex)


def textract_fields(person: SpecimenPerson = PERSON) -> dict[str, str]:
    """What AnalyzeID reads off the specimen's visual zone (Textract's field types)."""
    return {
        "FIRST_NAME": person.given_names.split()[0],
        "LAST_NAME": person.surname,
        "DOCUMENT_NUMBER": person.document_number,
        "DATE_OF_BIRTH": person.birth_date.isoformat(),
        "EXPIRATION_DATE": person.expiry_date.isoformat(),
    }
