"""Pin the process to one core and one thread per library, as the latency targets are stated."""

from __future__ import annotations

import os


def pin_to_one_core() -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if hasattr(os, "sched_setaffinity"):
        cores = os.sched_getaffinity(0)
        core = int(os.environ.get("BENCH_CORE", min(cores)))
        os.sched_setaffinity(0, {core if core in cores else min(cores)})
    import cv2

    cv2.setNumThreads(1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
