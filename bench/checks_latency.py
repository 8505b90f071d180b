"""Per-check latency of the local pipeline for one ID and one selfie, on one core.

    .venv/bin/python -m bench.checks_latency [--n 20] [--sizes 2,12]

For each size, renders N photographed specimen passports (varied people) and selfies at that many
megapixels, passes both through upload intake (decode, orientation, re-encode; stored long side
capped by UPLOAD_MAX_SIDE), then decodes the stored images once and runs the pipeline exactly as the
worker does. Prints p50/p95 per check, for intake, and for all local checks together.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from datetime import date

from bench.one_core import percentile, pin_to_one_core


def _selfie_at(megapixels: float, person: str) -> bytes:
    """A portrait-format selfie of `megapixels`: the face photo over a sharp textured background.

    The source photos are ~500 px; enlarging one to 12 MP would make the whole frame blurry, which
    a real camera's frame is not. The face is enlarged to fill half the frame's width instead.
    """
    from tests.images import photo
    from tests.specimens.documents import to_jpeg
    from tests.specimens.faces import face_photo

    width = round((megapixels * 1e6 * 3 / 4) ** 0.5)
    height = round(width * 4 / 3)
    frame = photo(width, height, seed=len(person))
    face = face_photo(person)
    scale = 0.6 * width / face.width
    face = face.resize((round(face.width * scale), round(face.height * scale)))
    frame.paste(face, ((width - face.width) // 2, (height - face.height) // 3))
    return to_jpeg(frame)


def run(n: int, sizes: list[float]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from kyc.images import decode
    from kyc.intake import normalize_upload
    from kyc.warmup import warm_up
    from tests.specimens.documents import person_variant, photographed, render_passport_page, to_jpeg
    from tests.specimens.faces import PEOPLE, face_photo
    from verification.pipeline import run_document_checks
    from verification.policy import Policy

    warm_up()
    policy = Policy(min_age=18)
    for megapixels in sizes:
        timings: dict[str, list[float]] = defaultdict(list)
        outcomes: dict[str, int] = defaultdict(int)
        for index in range(n):
            person = person_variant(index, seed=7)
            face = PEOPLE[index % len(PEOPLE)]
            page = render_passport_page(person, portrait=face_photo(face), megapixels=megapixels)
            uploads = {
                "id_front": to_jpeg(photographed(page, seed=index, megapixels=megapixels)),
                "selfie": _selfie_at(megapixels, face),
            }
            images = {}
            for kind, data in uploads.items():
                start = time.perf_counter()
                stored = normalize_upload(
                    data,
                    max_bytes=settings.UPLOAD_MAX_BYTES,
                    max_pixels=settings.UPLOAD_MAX_PIXELS,
                    max_side=settings.UPLOAD_MAX_SIDE,
                )
                timings[f"intake_{kind}"].append((time.perf_counter() - start) * 1000)
                images[kind] = stored.content
            start = time.perf_counter()
            decoded = {kind: decode(content) for kind, content in images.items()}
            timings["decode_both"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            result = run_document_checks(decoded, policy=policy, today=date.today())
            checks_ms = (time.perf_counter() - start) * 1000
            timings["all_local_checks"].append(checks_ms + timings["decode_both"][-1])
            for check in result.results:
                timings[check.name].append(check.duration_ms)
            outcomes["verified" if all(c.passed for c in result.results) else "not_verified"] += 1
        print(f"\n== {megapixels:g} MP uploads, n={n}, one core ==")
        print(f"{'step':<22}{'p50 ms':>10}{'p95 ms':>10}")
        for name, values in timings.items():
            print(f"{name:<22}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}")
        print("outcomes:", dict(outcomes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--sizes", default="2,12")
    args = parser.parse_args()
    pin_to_one_core()
    run(args.n, [float(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
