"""`python -m bench.qr_read [--n 40]`: read rate and latency of kyc.qr on photographed cards.

Each card carries a fresh signed attestation (a ~400-character compact JWS, QR version ~13, error
correction M), is tilted by a perspective warp, blurred (Gaussian sigma per column) and
JPEG-compressed at quality 72 (tests/affiliation.py `card_photo`).
"""

from __future__ import annotations

import argparse
import statistics
import time

from kyc.images import decode
from kyc.qr import decode_qr
from tests.affiliation import card_photo, new_signer

ORG = "6f1a7a52-3c1e-4d0b-9a51-0c6f2f1e9b10"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    print(f"{'blur':>5} {'read':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for blur in (0.8, 1.4, 1.8):
        times, read = [], 0
        for i in range(args.n):
            token = new_signer().token(ORG, jti=f"bench-{i}")
            image = decode(card_photo(token, blur=blur))
            start = time.perf_counter()
            read += decode_qr(image) == token
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{blur:5.1f} {read:4d}/{args.n:<4d} {statistics.median(times):8.0f} {p95:8.0f}")


if __name__ == "__main__":
    main()
