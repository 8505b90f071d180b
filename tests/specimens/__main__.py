"""`python -m tests.specimens [FOLDER]`: a specimen passport and a matching selfie to try the API with.

The passport is the ICAO specimen person (Utopia, invented data), photographed-looking at 2 MP, with
a portrait from a photo that a registry package ships; the selfie is the same person.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.specimens.documents import SpecimenPerson, photographed, render_passport_page, to_jpeg
from tests.specimens.faces import PEOPLE, face_photo


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    face = PEOPLE[0]
    page = render_passport_page(SpecimenPerson(), portrait=face_photo(face), megapixels=2.0)
    (folder / "passport.jpg").write_bytes(to_jpeg(photographed(page, seed=1, megapixels=2.0)))
    (folder / "selfie.jpg").write_bytes(to_jpeg(face_photo(face)))
    (folder / "other-selfie.jpg").write_bytes(to_jpeg(face_photo(PEOPLE[1])))
    print(f"wrote {folder}/passport.jpg, selfie.jpg and other-selfie.jpg (someone else)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/specimens"))
