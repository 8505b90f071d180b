"""`python -m bench.names`: FMR and FNMR of the attestation-vs-document name match.

Scores every genuine and impostor pair of bench/name_pairs.py with `kyc.names.name_similarity` and
prints, for a sweep of thresholds and for the one in use, the false non-match rate (same person
judged different: sent to review needlessly) and the false match rate (different people judged the
same: the cross-check missed).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from bench.name_pairs import genuine_pairs, impostor_pairs
from kyc.names import NAME_MATCH_THRESHOLD, name_similarity


@dataclass(frozen=True, slots=True)
class Rates:
    threshold: float
    fnmr: float
    fmr: float
    false_non_matches: int
    false_matches: int


def rates_at(threshold: float, genuine: list[float], impostor: list[float]) -> Rates:
    misses = sum(score < threshold for score in genuine)
    false = sum(score >= threshold for score in impostor)
    return Rates(threshold, misses / len(genuine), false / len(impostor), misses, false)


def scores() -> tuple[list[float], list[float], list[tuple[str, str, float]]]:
    genuine_named = [(a, b, name_similarity(a, b)) for a, b in genuine_pairs()]
    impostor = [name_similarity(a, b) for a, b in impostor_pairs()]
    return [s for _, _, s in genuine_named], impostor, genuine_named


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="print genuine pairs below threshold")
    args = parser.parse_args()
    start = time.perf_counter()
    genuine, impostor, named = scores()
    elapsed = time.perf_counter() - start
    pairs = len(genuine) + len(impostor)
    print(f"pairs: {len(genuine)} genuine, {len(impostor)} impostor; {elapsed * 1e6 / pairs:.1f} us/pair")
    print(f"{'threshold':>9} {'FNMR':>8} {'FMR':>8}")
    for threshold in (70.0, 75.0, 80.0, 85.0, 90.0, 95.0):
        rate = rates_at(threshold, genuine, impostor)
        marker = "  <- in use" if threshold == NAME_MATCH_THRESHOLD else ""
        print(f"{threshold:9.1f} {rate.fnmr:8.2%} {rate.fmr:8.3%}{marker}")
    chosen = rates_at(NAME_MATCH_THRESHOLD, genuine, impostor)
    print(
        f"at {NAME_MATCH_THRESHOLD}: FNMR {chosen.fnmr:.2%} ({chosen.false_non_matches}/{len(genuine)}), "
        f"FMR {chosen.fmr:.3%} ({chosen.false_matches}/{len(impostor)})"
    )
    if args.show_misses:
        for a, b, score in named:
            if score < NAME_MATCH_THRESHOLD:
                print(f"  miss {score:5.1f}  {a!r} / {b!r}")
        for a, b in impostor_pairs():
            score = name_similarity(a, b)
            if score >= NAME_MATCH_THRESHOLD:
                print(f"  false {score:5.1f}  {a!r} / {b!r}")


if __name__ == "__main__":
    main()
