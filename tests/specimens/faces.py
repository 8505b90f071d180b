"""Face photos of real people for tests and specimen documents, taken from registry packages.

Nothing is downloaded at run time and nothing is copied into this repository: each photo is read
from a file that a PyPI wheel installs (located with `importlib.util.find_spec`, so the packages
are never imported; only their files are needed).

- `eileen_collins`: PyPI `scikit-image` (BSD-3-Clause), file `skimage/data/astronaut.png` (what
  `skimage.data.astronaut()` reads; inside the wheel, not fetched). NASA photograph, public domain
  ("No known copyright restrictions, released into the public domain", its docstring says).
- `luis_pedro_coelho`: PyPI `mahotas` (MIT), file `mahotas/demos/data/luispedro.jpg` (what
  `mahotas.demos.load("luispedro")` reads). A photo of the package's author shipped in the MIT
  wheel, with no separate licence statement for the photo.

Both must be installed (dev dependencies `scikit-image` and `mahotas`). Each source photo holds
one face; only one photo per person exists, so "another photo of the same person" is made by
transforming the same one. Their descriptor distance is ~0.89, far above the face-match reject
threshold (~0.64), so a mismatch test has a wide margin.

`face_photo` frames the face like a selfie taken at arm's length or a passport photo (face box
half to two thirds of the picture's width), 480 x 600 px (4:5, the short side a selfie needs for
the quality check). `two_face_photo` puts both people side by side.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image


@dataclass(frozen=True)
class _Source:
    package: str  # the PyPI distribution to install
    module: str  # the import package whose folder holds the file
    path: str  # inside that folder
    # dlib HOG face box (left, top, right, bottom) in the source image, measured once with
    # `kyc.faces.detect_faces`; fixed here so the specimens do not depend on the code under test.
    face: tuple[int, int, int, int]


_SOURCES = {
    "eileen_collins": _Source("scikit-image", "skimage", "data/astronaut.png", (177, 82, 274, 178)),
    "luis_pedro_coelho": _Source("mahotas", "mahotas", "demos/data/luispedro.jpg", (16, 98, 202, 285)),
}
PEOPLE: tuple[str, ...] = tuple(_SOURCES)

SIZE = (480, 600)
FACE_SHARE_OF_WIDTH = 0.5  # face box side / picture width
FACE_CENTRE_HEIGHT = 0.47  # where the face box centre sits, as a share of the picture height


class MissingFacePackageError(RuntimeError):
    pass


def source_path(person: str) -> Path:
    source = _SOURCES[person]
    spec = importlib.util.find_spec(source.module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingFacePackageError(f"install the PyPI package {source.package} (a dev dependency)")
    path = Path(next(iter(spec.submodule_search_locations))) / source.path
    if not path.is_file():
        raise MissingFacePackageError(f"{source.package} does not ship {source.path}")
    return path


@cache
def _source_image(person: str) -> Image.Image:
    with Image.open(source_path(person)) as image:
        return image.convert("RGB")


def face_photo(person: str) -> Image.Image:
    """An RGB photo of `person` (one of PEOPLE) with exactly one face, framed head and shoulders."""
    image = _source_image(person)
    left, top, right, bottom = _SOURCES[person].face
    side = max(right - left, bottom - top)
    aspect = SIZE[1] / SIZE[0]
    # A close-up source cannot give the wanted margin: then the frame is as large as the photo allows.
    width = min(side / FACE_SHARE_OF_WIDTH, image.width, image.height / aspect)
    height = width * aspect
    x0 = (left + right) / 2 - width / 2
    y0 = (top + bottom) / 2 - height * FACE_CENTRE_HEIGHT
    # Keep the frame inside the source photo (shift, never pad), so no artificial border shows.
    x0 = min(max(0.0, x0), image.width - width)
    y0 = min(max(0.0, y0), image.height - height)
    box = (round(x0), round(y0), round(x0 + width), round(y0 + height))
    return image.resize(SIZE, Image.Resampling.LANCZOS, box=box)


def two_face_photo() -> Image.Image:
    """A "selfie" with two people of about the same size side by side (PEOPLE[0] on the left)."""
    left, right = face_photo(PEOPLE[0]), face_photo(PEOPLE[1])
    canvas = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return canvas
