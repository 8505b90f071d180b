"""Synthetic KYC-like scenes and graded degradations.

Shared by `bench/calibrate_quality.py` (which measures the thresholds in `kyc/quality.py`) and the
tests, so both judge the checks against exactly the same images. Everything is drawn as vectors at
the requested resolution: the same seed at 2 MP and at 12 MP is the same scene, only finer.
All sizes of degradations are fractions of the image, never pixels, so a degradation level means
the same thing at every resolution. Nothing here is real personal data: names are random letters.
"""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kyc.images import DecodedImage

RGB = tuple[int, int, int]

BACKGROUNDS: dict[str, RGB] = {
    "wood": (122, 86, 54),
    "slate": (58, 62, 68),
    "blue": (44, 72, 128),
    "white_paper": (234, 234, 230),  # a matte sheet under the card: bright, never clipped
    "clipped_white": (255, 255, 255),  # an over-exposed white surround: clipped, touches the frame
}
CARDS: dict[str, RGB] = {
    "white": (244, 244, 240),
    "cream": (238, 226, 196),
    "mint": (200, 228, 210),
    "sky": (196, 216, 238),
    "rose": (236, 204, 212),
}
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(n))


def render_card(
    width: int = 1600, height: int = 1200, *, seed: int = 0, background: str = "wood", card: str = "white"
) -> np.ndarray:
    """A photo-like scene of an ID card lying on a surface, as an H x W x 3 uint8 RGB array."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test scenes, not security
    img = Image.new("RGB", (width, height), BACKGROUNDS[background])
    draw = ImageDraw.Draw(img)
    if background == "wood":  # low-contrast grain so the background is not a flat colour
        for _ in range(40):
            y = rng.uniform(0, height)
            shade = rng.randint(-14, 14)
            colour = tuple(max(0, c + shade) for c in BACKGROUNDS["wood"])
            draw.line(
                [(0, y), (width, y + rng.uniform(-0.05, 0.05) * height)],
                fill=colour,
                width=max(1, round(height * 0.006)),
            )

    cw = round(width * rng.uniform(0.66, 0.78))
    ch = round(cw / 1.586)  # ID-1 card aspect ratio
    x0 = round((width - cw) * rng.uniform(0.35, 0.65))
    y0 = round((height - ch) * rng.uniform(0.35, 0.65))
    u = cw / 100.0  # one "card unit": 1 % of the card width
    base = CARDS[card]
    draw.rounded_rectangle(
        [x0, y0, x0 + cw, y0 + ch],
        radius=round(3 * u),
        fill=base,
        outline=(150, 150, 150),
        width=max(1, round(0.15 * u)),
    )
    # Guilloche: fine sine lines in a tint of the card colour, like real security printing.
    tint = tuple(max(0, c - 40) for c in base)
    for k in range(6):
        pts = [
            (x0 + t * cw / 200, y0 + ch * (0.3 + 0.08 * k) + 2 * u * np.sin(t / 9.0 + k)) for t in range(201)
        ]
        draw.line(pts, fill=tint, width=max(1, round(0.12 * u)))
    # Header band with a title.
    band = (rng.randint(20, 120), rng.randint(40, 120), rng.randint(90, 160))
    draw.rectangle([x0 + 2 * u, y0 + 2 * u, x0 + cw - 2 * u, y0 + 11 * u], fill=band)
    draw.text(
        (x0 + 4 * u, y0 + 3.5 * u),
        "IDENTITY CARD  " + _word(rng, 6),
        fill=(250, 250, 250),
        font=_font(round(5 * u)),
    )
    # Portrait: a synthetic face (no real person).
    px0, py0, px1, py1 = x0 + 4 * u, y0 + 14 * u, x0 + 30 * u, y0 + 48 * u
    draw.rectangle([px0, py0, px1, py1], fill=(206, 212, 220))
    skin = rng.choice([(224, 182, 150), (180, 130, 96), (120, 84, 60)])
    draw.ellipse([px0 + 5 * u, py0 + 8 * u, px1 - 5 * u, py1 + 2 * u], fill=(40, 40, 60))
    draw.ellipse([px0 + 7 * u, py0 + 6 * u, px1 - 7 * u, py0 + 28 * u], fill=skin)
    draw.ellipse([px0 + 6 * u, py0 + 3 * u, px1 - 6 * u, py0 + 11 * u], fill=(50, 36, 30))
    for ex in (px0 + 10.5 * u, px0 + 15.5 * u):
        draw.ellipse([ex - 0.8 * u, py0 + 15 * u, ex + 0.8 * u, py0 + 16.4 * u], fill=(30, 30, 30))
    draw.line(
        [(px0 + 11 * u, py0 + 22.5 * u), (px1 - 11 * u, py0 + 22.5 * u)],
        fill=(140, 60, 60),
        width=max(1, round(0.5 * u)),
    )
    # Labelled fields: small grey labels, larger black values.
    label_font, value_font = _font(round(2.2 * u)), _font(round(3.6 * u))
    for row, label in enumerate(("SURNAME", "GIVEN NAMES", "DATE OF BIRTH", "DOCUMENT NO", "EXPIRY")):
        y = y0 + (15 + 7 * row) * u
        draw.text((x0 + 34 * u, y), label, fill=(110, 110, 110), font=label_font)
        draw.text(
            (x0 + 34 * u, y + 2.4 * u), _word(rng, rng.randint(5, 12)), fill=(20, 20, 20), font=value_font
        )
    # Machine-readable zone.
    mrz_font = _font(round(3.4 * u))
    for line in range(2):
        text = "".join(rng.choice(_LETTERS + "<<<<0123456789") for _ in range(30))
        draw.text((x0 + 4 * u, y0 + ch - (11 - 5 * line) * u), text, fill=(15, 15, 15), font=mrz_font)
    return np.asarray(img).copy()


def optics(rgb: np.ndarray, frac: float = 0.0004) -> np.ndarray:
    """The slight softness of a real phone lens (sigma 0.04 % of the long side): vectors are too sharp."""
    return gaussian_blur(rgb, frac)


def camera(rgb: np.ndarray, *, seed: int = 0, noise: float = 2.0, quality: int = 90) -> np.ndarray:
    """Sensor noise then a JPEG round trip, the last steps of every real capture."""
    grain = np.empty(rgb.shape, np.int16)
    cv2.setRNGSeed(seed)  # OpenCV's generator: ~10x faster than numpy's for a 12 MP frame
    plane = grain.reshape(rgb.shape[0], -1)  # a single-channel view, so one mean/stddev fits all
    cv2.randn(plane, np.array([0.0]), np.array([float(noise)]))
    noisy = cv2.add(rgb.astype(np.int16), grain)
    out = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB")).copy()


def gaussian_blur(rgb: np.ndarray, frac: float) -> np.ndarray:
    """Defocus: Gaussian with sigma = `frac` of the long side."""
    sigma = frac * max(rgb.shape[:2])
    return cv2.GaussianBlur(rgb, (0, 0), sigmaX=sigma) if sigma > 0 else rgb.copy()


def motion_blur(rgb: np.ndarray, frac: float, angle_deg: float = 0.0) -> np.ndarray:
    """Camera shake: a straight streak `frac` of the long side long, at `angle_deg`."""
    length = max(1, round(frac * max(rgb.shape[:2])))
    size = length + 2 if length % 2 else length + 3
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = np.cos(np.radians(angle_deg)) * length / 2, np.sin(np.radians(angle_deg)) * length / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
    return cv2.filter2D(rgb, -1, kernel / kernel.sum())


def add_glare(
    rgb: np.ndarray, *, radius_frac: float, peak: float = 1.5, centre: tuple[float, float] = (0.45, 0.5)
) -> np.ndarray:
    """A specular reflection: a Gaussian light spot added on top, then clipped like a sensor would.

    `radius_frac` is the spot's sigma as a fraction of the short side; `peak` the added light at the
    centre in units of full scale (1.0 adds 255), so the clipped core grows with both.
    """
    h, w = rgb.shape[:2]
    # The spot is smooth, so draw it at 1/8 scale and enlarge: the same light, 60x less arithmetic.
    sh, sw = max(1, h // 8), max(1, w // 8)
    sigma = radius_frac * min(sh, sw)
    ys, xs = np.ogrid[:sh, :sw]
    d2 = (xs + 0.5 - centre[0] * sw) ** 2 + ((ys + 0.5 - centre[1] * sh) * 1.3) ** 2  # elongated, like a lamp
    small = np.minimum(peak * 255.0 * np.exp(-d2 / (2.0 * sigma * sigma)), 255.0).astype(np.float32)
    spot = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).round().astype(np.uint8)
    return cv2.add(rgb, cv2.merge([spot, spot, spot]))  # saturating add: the sensor clips at 255


def darken(rgb: np.ndarray, *, gain: float, gamma: float = 1.0) -> np.ndarray:
    """Under-exposure: out = 255 * gain * (in / 255) ** gamma."""
    lut = np.clip(255.0 * gain * (np.arange(256) / 255.0) ** gamma, 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, lut)


def resize_short(rgb: np.ndarray, short: int) -> np.ndarray:
    """Resample so the short side is `short` px (area when shrinking, Lanczos when enlarging)."""
    h, w = rgb.shape[:2]
    s = short / min(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LANCZOS4)


def to_decoded(rgb: np.ndarray) -> DecodedImage:
    return DecodedImage(rgb=rgb, gray=cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
