"""Face models, loaded lazily once per process so that importing `kyc.faces` stays cheap.

All three come from the `face-recognition-models` package (CC0 weights) and dlib itself: the HOG
frontal-face detector, the 5-point landmark model and the 128-d ResNet descriptor. The 68-point
landmark model in the same package is licensed for non-commercial use only and is never loaded.

The ResNet runs on onnxruntime, not dlib: the `.dat` file is converted in memory at load time
(`resnet_onnx`: ~0.17 s, plus ~0.55 s to import `onnx`), because the dlib wheel has no BLAS and
its own CPU network takes ~85 ms per face against ~4.5 ms here, with the same output to ~1e-6.
Caching the converted model on disk would save ~0.6 s per worker start; not worth the state yet.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dlib

if TYPE_CHECKING:
    import onnxruntime as ort

FIVE_POINT_MODEL = "shape_predictor_5_face_landmarks.dat"
RESNET_MODEL = "dlib_face_recognition_resnet_model_v1.dat"


def model_dir() -> Path:
    """The `models/` folder of `face_recognition_models`, found without importing the package.

    Its `__init__` imports `pkg_resources`, which warns on import and is gone from setuptools >= 81;
    `find_spec` locates the package without executing it. The file names are the ones that
    `pose_predictor_five_point_model_location()` and `face_recognition_model_location()` return.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face_recognition_models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class Models:
    detector: dlib.fhog_object_detector
    landmarks: dlib.shape_predictor  # safe to share between threads (dlib documents it as such)
    descriptor: ort.InferenceSession  # input uint8 (n, 150, 150, 3) chips, output (n, 128); thread-safe
    # dlib's object detector keeps scratch buffers: one caller at a time per process. Workers are
    # prefork processes, so the lock is uncontended; it only makes threaded use safe.
    detector_lock: threading.Lock = field(default_factory=threading.Lock)


def descriptor_session(dat: Path) -> ort.InferenceSession:
    """dlib's ResNet from its `.dat` file as an onnxruntime session: one thread, like the workers."""
    import onnxruntime as ort

    from kyc.faces import resnet_onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    model = resnet_onnx.convert(dat.read_bytes())
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


_load_lock = threading.Lock()
_models: Models | None = None


def models() -> Models:
    global _models
    if _models is None:
        with _load_lock:
            if _models is None:  # another thread may have loaded them while we waited
                folder = model_dir()
                _models = Models(
                    detector=dlib.get_frontal_face_detector(),
                    landmarks=dlib.shape_predictor(str(folder / FIVE_POINT_MODEL)),
                    descriptor=descriptor_session(folder / RESNET_MODEL),
                )
    return _models
