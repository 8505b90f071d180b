"""`make bench`: every benchmark in turn; each also runs alone as `python -m bench.<name>`.

- checks_latency: per-check p50/p95 for one ID and one selfie at 2 MP and 12 MP, on one core
- decision_latency: submit to decision through a real worker
- mrz_read: MRZ read accuracy and latency on rendered specimens
- face_match: face-match FMR/FNMR and review rates on ../shared/data/faces (skipped if absent)
"""

from __future__ import annotations

import subprocess
import sys

from bench.face_match import DEFAULT_DATA

STEPS = [
    ["bench.checks_latency", "--n", "30"],
    ["bench.decision_latency", "--n", "30"],
    ["bench.mrz_read"],
]


def main() -> int:
    steps = list(STEPS)
    if DEFAULT_DATA.exists():
        steps.append(["bench.face_match"])
    else:
        print(f"face_match skipped: no labelled set at {DEFAULT_DATA}")
    failures = 0
    for module, *args in steps:
        print(f"\n######## {module} {' '.join(args)}", flush=True)
        failures += subprocess.call([sys.executable, "-m", module, *args]) != 0  # noqa: S603
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
