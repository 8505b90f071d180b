"""Warm the models once per worker process, so the first verification is as fast as the rest."""

from __future__ import annotations

import logging

from celery.signals import worker_process_init

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _warm_models(**_: object) -> None:
    from kyc.warmup import warm_up

    warm_up()
