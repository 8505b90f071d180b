"""Phone-capture stand-ins: a photographed specimen passport with a real face, and that face's selfie."""

from __future__ import annotations

from typing import Any

from PIL import Image

from tests.specimens.documents import SpecimenPerson, photographed, render_passport_page, to_jpeg
from tests.specimens.faces import face_photo


def passport_photo(
    person: SpecimenPerson | None = None,
    face: str | None = None,
    *,
    seed: int = 0,
    megapixels: float = 2.0,
    **render: Any,
) -> Image.Image:
    """The data page of `person` with `face`'s portrait (None: no portrait), photographed."""
    page = render_passport_page(
        person or SpecimenPerson(),
        portrait=face_photo(face) if face else None,
        megapixels=megapixels,
        **render,
    )
    return photographed(page, seed=seed, megapixels=megapixels)


def passport_jpeg(person: SpecimenPerson | None = None, face: str | None = None, **kwargs: Any) -> bytes:
    return to_jpeg(passport_photo(person, face, **kwargs))


def selfie_jpeg(face: str) -> bytes:
    return to_jpeg(face_photo(face))
