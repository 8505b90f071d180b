"""Load every local model once, before the first verification arrives (called per worker process)."""

from __future__ import annotations

import logging
import time

from kyc import ocr
from kyc.faces._models import models as face_models

logger = logging.getLogger(__name__)


def warm_up() -> None:
    start = time.perf_counter()
    face_models()
    ocr.warm_up()
    logger.info("kyc models loaded in %.0f ms", (time.perf_counter() - start) * 1000)
