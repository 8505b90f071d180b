"""`python -m tests.specimens [FOLDER]`: a specimen passport and a matching selfie to try the API with.

The passport is the ICAO specimen person (Utopia, invented data), photographed-looking at 2 MP, with
a portrait from a photo that a registry package ships; the selfie is the same person.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.specimens.captures import passport_jpeg, selfie_jpeg
from tests.specimens.faces import PEOPLE


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "passport.jpg").write_bytes(passport_jpeg(face=PEOPLE[0], seed=1))
    (folder / "selfie.jpg").write_bytes(selfie_jpeg(PEOPLE[0]))
    (folder / "other-selfie.jpg").write_bytes(selfie_jpeg(PEOPLE[1]))
    print(f"wrote {folder}/passport.jpg, selfie.jpg and other-selfie.jpg (someone else)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/specimens"))
