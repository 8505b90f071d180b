"""Load every local model once, before the first verification arrives (called per worker process)."""

from __future__ import annotations

import logging
import time

from kyc.faces._models import models as face_models
from kyc.ocr import get_engine, get_recogniser

logger = logging.getLogger(__name__)


def warm_up() -> None:
    start = time.perf_counter()
    face_models()
    get_recogniser()
    get_engine()
    logger.info("kyc models loaded in %.0f ms", (time.perf_counter() - start) * 1000)
