"""Calibrate and benchmark the 1:1 face match on a labelled photo set.

    .venv/bin/python -m bench.face_match [--data ../shared/data/faces] [--workers 2] [--mirror] [--jitters N]

Computes one descriptor per photo (the production path: `detect_faces`, largest face,
`face_embedding`), then scores every same-person pair and every different-person pair (all photo
pairs across people, not only `pairs.csv`). Prints error and review rates at `DEFAULT_MATCH`,
thresholds re-derived by the calibration rule on all data and on person-disjoint halves (chosen on
one half, measured on the other), per-source rates, and per-image latency. Writes nothing.

Error definitions with the review band: a false non-match is a same-person pair that FAILS outright
(distance > reject); a false match is a different-person pair that PASSES outright (distance <=
accept); pairs in between are counted as review, separately for each population.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from kyc.faces import (
    DEFAULT_MATCH,
    MatchThresholds,
    check_document_portrait,
    check_selfie_faces,
    detect_faces,
)
from kyc.faces._models import models
from kyc.faces.checks import counted_faces
from kyc.faces.detection import refine_box
from kyc.faces.embedding import EmbedOptions, face_embedding
from kyc.images import DecodedImage, decode

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces"
# Calibration rule: aim at a fraction of each target (FMR 0.1 %, FNMR 1 %) on the calibration data,
# so that the thresholds still meet the targets on people they were not chosen on. Half of each
# was not enough: held out, FMR came to ~0.11 % and FNMR to ~1.0 % (the tails are a few people).
FMR_AIM, FNMR_AIM = 0.0004, 0.003
SPLITS = 50


@dataclass(frozen=True)
class Photo:
    file: str
    person: str
    source: str


@dataclass(frozen=True)
class Measured:
    faces: int  # faces that count in a selfie (the selfie check passes only with 1)
    embedding: np.ndarray | None
    detect_ms: float
    embed_ms: float


def photos(data: Path) -> list[Photo]:
    with (data / "sources.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [Photo(r["file"], r["person"], r["source_repo"]) for r in sorted(rows, key=lambda r: r["file"])]


def measure(args: tuple[Path, EmbedOptions]) -> Measured:
    path, options = args
    image = decode(path.read_bytes())
    start = time.perf_counter()
    faces = detect_faces(image)
    detected = time.perf_counter()
    if not faces:
        return Measured(0, None, (detected - start) * 1e3, 0.0)
    box = refine_box(image.gray, faces[0])  # what both checks hand to the matcher
    detected = time.perf_counter()
    embedding = face_embedding(image.rgb, box, options)
    done = time.perf_counter()
    return Measured(len(counted_faces(faces)), embedding, (detected - start) * 1e3, (done - detected) * 1e3)


# --- pair statistics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    fnmr: float
    fmr: float
    review_same: float
    review_diff: float

    def __str__(self) -> str:
        return (
            f"FNMR {100 * self.fnmr:5.2f}%  FMR {100 * self.fmr:6.3f}%  "
            f"review same {100 * self.review_same:5.2f}%  diff {100 * self.review_diff:6.3f}%"
        )


def rates(same: np.ndarray, diff: np.ndarray, t: MatchThresholds) -> Rates:
    return Rates(
        fnmr=float(np.mean(same > t.reject)),
        fmr=float(np.mean(diff <= t.accept)),
        review_same=float(np.mean((same > t.accept) & (same <= t.reject))),
        review_diff=float(np.mean((diff > t.accept) & (diff <= t.reject))),
    )


def calibrate(
    same: np.ndarray, diff: np.ndarray, fmr: float = FMR_AIM, fnmr: float = FNMR_AIM
) -> MatchThresholds:
    """accept: the highest distance passing at most `fmr` of `diff`; reject: the lowest failing at
    most `fnmr` of `same` (never below accept)."""
    ds, dd = np.sort(same), np.sort(diff)
    k = int(np.floor(fmr * len(dd)))
    accept = float(np.nextafter(dd[k], 0.0)) if k < len(dd) else float(dd[-1])
    m = int(np.floor(fnmr * len(ds)))
    reject = float(ds[len(ds) - 1 - m]) if m < len(ds) else float(ds[0])
    return MatchThresholds(accept=accept, reject=max(accept, reject))


def single_threshold_fnmr(same: np.ndarray, diff: np.ndarray, fmr: float = 0.001) -> tuple[float, float]:
    """The raw operating point without a review band: threshold at FMR <= fmr and its FNMR."""
    t = calibrate(same, diff, fmr=fmr).accept
    return t, float(np.mean(same > t))


def person_splits(people: list[str], photo_sources: dict[str, str], seed: int = 0) -> Iterator[set[str]]:
    """First a fixed split (alternating within each source, so both halves hold every kind of photo),
    then SPLITS random ones."""
    ordered = sorted(people, key=lambda p: (photo_sources[p], p))
    yield set(ordered[::2])
    rng = np.random.default_rng(seed)
    for _ in range(SPLITS):
        yield set(rng.permutation(ordered)[: len(ordered) // 2].tolist())


def held_out(
    dist: np.ndarray, same: np.ndarray, pi: np.ndarray, pj: np.ndarray, halves: set[str]
) -> list[Rates]:
    """Calibrate on pairs within one half of the people, measure on pairs within the other, both ways."""
    in_a = np.array([p in halves for p in pi]) & np.array([p in halves for p in pj])
    in_b = np.array([p not in halves for p in pi]) & np.array([p not in halves for p in pj])
    out = []
    for cal, ev in ((in_a, in_b), (in_b, in_a)):
        t = calibrate(dist[cal & same], dist[cal & ~same])
        out.append(rates(dist[ev & same], dist[ev & ~same], t))
    return out


def mean_rates(rs: list[Rates], q: float | None = None) -> Rates:
    pick = (lambda v: float(np.percentile(v, q))) if q is not None else (lambda v: float(np.mean(v)))
    return Rates(*(pick([getattr(r, k) for r in rs]) for k in ("fnmr", "fmr", "review_same", "review_diff")))


# --- latency at phone resolutions -------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    return f"p50 {statistics.median(values):6.1f}  p95 {float(np.percentile(values, 95)):6.1f}"


T = TypeVar("T")


def clocked(fn: Callable[[], T]) -> tuple[T, float, float]:
    """`fn()` with its wall-clock and CPU milliseconds (CPU time is what one dedicated core would
    need; wall time also counts whatever else shares the machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, (time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3


def latency(data: Path, sample: list[Photo], options: EmbedOptions) -> None:
    """One core, sequential, models already loaded: the selfie check, the document-portrait check
    (both passes: the portrait is small) and the two embeddings of one verification, at 2 and 12 MP."""
    models()
    steps = ("selfie check", "document check", "embed selfie", "embed document", "all face work")
    for label, size in {"2 MP": (1632, 1224), "12 MP": (4000, 3000)}.items():
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in steps}
        for n, photo in enumerate(sample):
            rgb = decode((data / photo.file).read_bytes()).rgb
            # Selfie: the photo spans 60 % of the frame width (face ~20-25 %). Document: it spans 20 %
            # (face ~6-8 %, ~100-130 px at 2 MP), a small card portrait that needs the second pass.
            selfie, document = _decoded(canvas(rgb, size, 0.6, n)), _decoded(canvas(rgb, size, 0.2, n))
            s, *t1 = clocked(partial(check_selfie_faces, selfie))
            d, *t2 = clocked(partial(check_document_portrait, document))
            times["selfie check"].append((t1[0], t1[1]))
            times["document check"].append((t2[0], t2[1]))
            if not (s.passed and d.passed):
                continue
            _, *t3 = clocked(partial(face_embedding, selfie.rgb, s.data["face"], options))
            _, *t4 = clocked(partial(face_embedding, document.rgb, d.data["face"], options))
            times["embed selfie"].append((t3[0], t3[1]))
            times["embed document"].append((t4[0], t4[1]))
            times["all face work"].append((t1[0] + t2[0] + t3[0] + t4[0], t1[1] + t2[1] + t3[1] + t4[1]))
        for step, values in times.items():
            wall, cpu = [v[0] for v in values], [v[1] for v in values]
            n = len(values)
            print(f"  {label:5s} {step:15s} ms wall {percentiles(wall)} | cpu {percentiles(cpu)}  (n={n})")


def canvas(photo: np.ndarray, size: tuple[int, int], fraction: float, seed: int) -> np.ndarray:
    """`photo` scaled to `fraction` of the frame width, pasted on a noisy background."""
    width, height = size
    out = np.random.default_rng(seed).integers(90, 160, size=(height, width, 3), dtype=np.uint8)
    w = round(width * fraction)
    h = min(height, round(photo.shape[0] * w / photo.shape[1]))
    small = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA if w < photo.shape[1] else cv2.INTER_CUBIC)
    y, x = (height - h) // 2, (width - w) // 3
    out[y : y + h, x : x + w] = small
    return out


def _decoded(rgb: np.ndarray) -> DecodedImage:
    return DecodedImage(rgb=rgb, gray=cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


# --- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mirror", action="store_true", help="average with the mirrored chip's descriptor")
    parser.add_argument("--jitters", type=int, default=0, help="dlib jitters per descriptor (0 = none)")
    parser.add_argument("--latency-photos", type=int, default=20)
    args = parser.parse_args()
    options = EmbedOptions(mirror=args.mirror, jitters=args.jitters)
    data: Path = args.data.resolve()
    items = photos(data)
    print(f"data: {len(items)} photos of {len({p.person for p in items})} people; {options}")

    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        measured = list(pool.map(measure, [(data / p.file, options) for p in items], chunksize=4))
    print(f"descriptors in {time.perf_counter() - start:.0f} s with {args.workers} workers")

    selfie_pass = sum(m.faces == 1 for m in measured)
    missing = [p.file for p, m in zip(items, measured, strict=True) if m.embedding is None]
    print(
        f"selfie check on single-face photos: {selfie_pass}/{len(items)} pass; no face found: {len(missing)}"
    )
    print(
        "  per photo (<= 800 px, two workers sharing the machine), ms: detect+refine "
        f"{percentiles([m.detect_ms for m in measured])}; embed "
        f"{percentiles([m.embed_ms for m in measured if m.embedding is not None])}"
    )

    # A photo without a face fails every pair it is in: as a non-match for same-person pairs and as
    # no match (correctly rejected) for the others. Infinity encodes that.
    vectors = np.stack([m.embedding if m.embedding is not None else np.full(128, np.nan) for m in measured])
    i, j = np.triu_indices(len(items), 1)
    dist = np.linalg.norm(vectors[i] - vectors[j], axis=1)
    dist = np.where(np.isnan(dist), np.inf, dist)
    person = np.array([p.person for p in items])
    pi, pj = person[i], person[j]
    same = pi == pj
    ds, dd = dist[same], dist[~same]
    print(f"pairs: {len(ds)} same-person, {len(dd)} different-person")

    t, fnmr = single_threshold_fnmr(ds, dd)
    print(
        f"no review band: at 0.6 FNMR {100 * np.mean(ds > 0.6):.2f}% FMR {100 * np.mean(dd <= 0.6):.3f}%;"
        f" at FMR 0.1% (t={t:.3f}) FNMR {100 * fnmr:.2f}%"
    )
    print(f"DEFAULT_MATCH accept {DEFAULT_MATCH.accept} reject {DEFAULT_MATCH.reject}:")
    print(f"  all data          {rates(ds, dd, DEFAULT_MATCH)}")
    fitted = calibrate(ds, dd)
    print(f"calibration rule on all data: accept {fitted.accept:.4f} reject {fitted.reject:.4f}")

    sources = {p.person: p.source for p in items}
    splits = list(person_splits(sorted(set(person.tolist())), sources))
    fixed = held_out(dist, same, pi, pj, splits[0])
    print("held out (thresholds chosen on one half of the people, measured on the other):")
    print(f"  fixed split A->B  {fixed[0]}\n  fixed split B->A  {fixed[1]}")
    randomised = [r for halves in splits[1:] for r in held_out(dist, same, pi, pj, halves)]
    print(f"  {SPLITS} random, mean  {mean_rates(randomised)}")
    print(f"  {SPLITS} random, p90   {mean_rates(randomised, 90)}")

    print("per source at DEFAULT_MATCH (same-person pairs; different-person pairs within the source):")
    src = np.array([sources[p] for p in pi]), np.array([sources[p] for p in pj])
    for name in sorted(set(sources.values())):
        inside = (src[0] == name) & (src[1] == name)
        if not np.any(inside & same) or not np.any(inside & ~same):
            continue  # a source with one person (or one photo each) has nothing to measure alone
        r = rates(dist[inside & same], dist[inside & ~same], DEFAULT_MATCH)
        print(
            f"  {name:32s} same {int(np.sum(inside & same)):4d}  diff {int(np.sum(inside & ~same)):5d}  {r}"
        )

    sample = [p for p in items if p.source == "serengil/deepface"][: args.latency_photos] or items[
        : args.latency_photos
    ]
    print("latency on one core (synthetic frames built from the photos):")
    latency(data, sample, options)


if __name__ == "__main__":
    main()
