"""The ONNX port of dlib's ResNet face descriptor: same output as dlib, and a strict file reader."""

from __future__ import annotations

from functools import cache

import dlib
import numpy as np
import pytest

from kyc.faces import detect_faces
from kyc.faces._models import FIVE_POINT_MODEL, RESNET_MODEL, model_dir, models
from kyc.faces.embedding import EmbedOptions, descriptors, face_chip, face_embedding
from kyc.faces.resnet_onnx import DlibModelError, convert
from kyc.images import DecodedImage
from tests.specimens.faces import PEOPLE, face_photo

MAX_ABS_DIFF = 1e-4  # per descriptor component; measured ~5e-7 (dlib's own float32 rounding)
MAX_DISTANCE = 1e-3  # Euclidean, against thresholds of 0.565 / 0.65


@cache
def dat_bytes() -> bytes:
    return (model_dir() / RESNET_MODEL).read_bytes()


@cache
def dlib_net() -> dlib.face_recognition_model_v1:
    return dlib.face_recognition_model_v1(str(model_dir() / RESNET_MODEL))


@cache
def chips() -> dict[str, np.ndarray]:
    """Aligned 150 x 150 chips of the real test faces, plus variants that exercise other pixels."""
    out = {}
    for person in PEOPLE:
        image = DecodedImage.from_pil(face_photo(person))
        chip = face_chip(image.rgb, detect_faces(image)[0])
        out[person] = chip
        out[f"{person} mirrored"] = np.ascontiguousarray(chip[:, ::-1])
        out[f"{person} darker"] = (chip * 0.6).astype(np.uint8)
    out["saturated"] = np.full((150, 150, 3), 255, dtype=np.uint8)  # extremes of the input range
    return out


def dlib_descriptor(chip: np.ndarray) -> np.ndarray:
    return np.asarray(dlib_net().compute_face_descriptor(chip))


@pytest.mark.parametrize("name", [*(p for p in PEOPLE), *(f"{p} mirrored" for p in PEOPLE), "saturated"])
def test_onnx_descriptor_equals_dlibs(name: str) -> None:
    chip = chips()[name]
    expected = dlib_descriptor(chip)
    got = descriptors(chip[None])[0]
    assert got.shape == (128,)
    assert np.abs(got - expected).max() < MAX_ABS_DIFF
    assert np.linalg.norm(got - expected) < MAX_DISTANCE


def test_a_batch_gives_each_chips_own_descriptor() -> None:
    batch = np.stack(list(chips().values()))
    together = descriptors(batch)
    for chip, row in zip(batch, together, strict=True):
        assert np.abs(row - dlib_descriptor(chip)).max() < MAX_ABS_DIFF


def test_descriptors_tell_the_two_people_apart_as_dlib_does() -> None:
    # Guards against a port that is "close" only because everything collapses to one vector.
    a, b = (descriptors(chips()[p][None])[0] for p in PEOPLE[:2])
    ref = np.linalg.norm(dlib_descriptor(chips()[PEOPLE[0]]) - dlib_descriptor(chips()[PEOPLE[1]]))
    assert np.linalg.norm(a - b) > 0.8
    assert abs(np.linalg.norm(a - b) - ref) < MAX_DISTANCE
    darker = descriptors(chips()[f"{PEOPLE[0]} darker"][None])[0]
    assert 0 < np.linalg.norm(a - darker) < 0.3


def test_jittered_embedding_stays_near_the_plain_one() -> None:
    image = DecodedImage.from_pil(face_photo(PEOPLE[0]))
    box = detect_faces(image)[0]
    plain = face_embedding(image.rgb, box)
    jittered = face_embedding(image.rgb, box, EmbedOptions(jitters=4))
    mirrored = face_embedding(image.rgb, box, EmbedOptions(mirror=True))
    assert 0 < np.linalg.norm(plain - jittered) < 0.2
    assert 0 < np.linalg.norm(plain - mirrored) < 0.2


def test_session_runs_on_one_thread() -> None:
    options = models().descriptor.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1


def test_graph_has_dlibs_layers() -> None:
    ops = [n.op_type for n in convert(dat_bytes()).graph.node]
    assert ops.count("Conv") == 29  # batch norm (dlib's affine layers) folded into each
    assert ops.count("Add") == 14  # residual blocks
    assert ops.count("Pad") == 5  # zero-extension in the 5 downsampling blocks' additions
    assert ops.count("AveragePool") == 4 and ops.count("MaxPool") == 1 and ops.count("MatMul") == 1


# --- the reader refuses anything but the expected file ----------------------------------------------


def test_refuses_a_truncated_file() -> None:
    data = dat_bytes()
    for end in (0, 3, len(data) // 2, len(data) - 1):
        with pytest.raises(DlibModelError, match="truncated"):
            convert(data[:end])


def test_refuses_trailing_bytes() -> None:
    with pytest.raises(DlibModelError, match="after the network"):
        convert(dat_bytes() + b"\x00")


def test_refuses_an_unexpected_layer() -> None:
    data = dat_bytes()
    at = data.index(b"relu_")
    with pytest.raises(DlibModelError, match="expected relu_"):
        convert(data[:at] + b"relu." + data[at + 5 :])


def test_refuses_a_wrong_dimension() -> None:
    # The first convolution's params tensor (its 32 7x7x3 filters and biases: 4736 floats, encoded
    # 01 02 | 02 80 12 | 01 01 | 01 01 | 01 01 | floats) is followed by num_filters = 32 (01 20).
    data = dat_bytes()
    at = data.index(b"con_4") + len(b"con_4")
    header = b"\x01\x02\x02\x80\x12\x01\x01\x01\x01\x01\x01"
    assert data[at : at + len(header)] == header
    start = at + len(header) + 4 * 4736
    assert data[start : start + 2] == b"\x01\x20"
    with pytest.raises(DlibModelError, match="num_filters: expected 32, found 33"):
        convert(data[:start] + b"\x01\x21" + data[start + 2 :])
    huge = b"\x01\x02\x04\x00\x00\x00\x10"  # num_samples 2**28: more floats than the file holds
    with pytest.raises(DlibModelError, match="truncated"):
        convert(data[:at] + huge + data[at + 5 :])


def test_refuses_a_garbled_integer() -> None:
    data = dat_bytes()
    with pytest.raises(DlibModelError, match="control byte"):
        convert(data[:2] + b"\x7f" + data[3:])


def test_refuses_another_dlib_model() -> None:
    with pytest.raises(DlibModelError):
        convert((model_dir() / FIVE_POINT_MODEL).read_bytes())
