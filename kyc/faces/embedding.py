"""One 128-d dlib ResNet descriptor per face image, computed at full resolution.

The detector ran on a small copy; here we go back to the original pixels around the face box, find
the 5 landmarks with dlib, cut the aligned 150 x 150 chip the network was trained on with
`dlib.get_face_chip`, and run the network once on onnxruntime (the same weights and arithmetic as
dlib's `compute_face_descriptor`, converted by `resnet_onnx`; ~5 ms instead of ~85 ms).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import dlib
import numpy as np

from kyc.faces._models import models
from kyc.faces.detection import FaceBox

CHIP_SIZE = 150  # the ResNet's input size
CHIP_PADDING = 0.25  # dlib's training padding; 0.15/0.2/0.3/0.35 all measured worse (see bench)
# The chip only needs ~2x its size of source pixels: bigger faces (12 MP selfies) are shrunk first
# with area averaging, which is cheaper than aligning on the full image and avoids aliasing.
MAX_FACE_SIDE = 200
CROP_MARGIN = 0.6  # face sides of context kept on each side: covers the padded chip, tilted ~30 deg


@dataclass(frozen=True)
class EmbedOptions:
    """Test-time augmentation, for the benchmark's comparisons; production uses the defaults.

    Averaging the mirrored chip or dlib's jitters lowers the review rate a little and costs one
    (mirror) or N (jitter) more network runs per image: ~4.5 ms each on one core with onnxruntime
    (it was ~85 ms with dlib's CPU network, which the latency budget could not pay). Either changes
    the distances, so DEFAULT_MATCH would have to be recalibrated before production could use it.
    """

    mirror: bool = False
    jitters: int = 0


DEFAULT_EMBED = EmbedOptions()


def face_chip(rgb: np.ndarray, box: FaceBox) -> np.ndarray:
    """The aligned CHIP_SIZE x CHIP_SIZE RGB chip of the face in `box` (original-image pixels)."""
    height, width = rgb.shape[:2]
    margin = round(box.side * CROP_MARGIN)
    x0, y0 = max(0, box.left - margin), max(0, box.top - margin)
    x1, y1 = min(width, box.right + margin), min(height, box.bottom + margin)
    crop = rgb[y0:y1, x0:x1]
    scale = min(1.0, MAX_FACE_SIDE / max(1, box.side))
    if scale < 1.0:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    crop = np.ascontiguousarray(crop)
    rect = dlib.rectangle(
        round((box.left - x0) * scale),
        round((box.top - y0) * scale),
        round((box.right - x0) * scale) - 1,
        round((box.bottom - y0) * scale) - 1,
    )
    shape = models().landmarks(crop, rect)
    return np.asarray(dlib.get_face_chip(crop, shape, size=CHIP_SIZE, padding=CHIP_PADDING))


def face_embedding(rgb: np.ndarray, box: FaceBox, options: EmbedOptions = DEFAULT_EMBED) -> np.ndarray:
    """The 128-d descriptor of the face in `box`; compare two with Euclidean distance."""
    chip = face_chip(rgb, box)
    chips = [chip, np.ascontiguousarray(chip[:, ::-1])] if options.mirror else [chip]
    if options.jitters > 1:
        # As dlib's compute_face_descriptor(chip, n): the mean over n randomly jittered copies
        # (dlib.jitter_image draws from its own random stream, so the copies differ run to run).
        chips = [np.asarray(j) for c in chips for j in dlib.jitter_image(c, options.jitters)]
    return descriptors(np.stack(chips)).mean(axis=0)


def descriptors(chips: np.ndarray) -> np.ndarray:
    """ResNet descriptors (n, 128), float64 like dlib's, of uint8 RGB chips (n, 150, 150, 3)."""
    session = models().descriptor
    (out,) = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(chips, dtype=np.uint8)})
    return np.asarray(out, dtype=np.float64)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))
