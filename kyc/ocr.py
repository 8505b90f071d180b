"""Find the MRZ band on a document image and recognise only its lines with RapidOCR's models.

Whole-page OCR costs 1-2 s per page on one core, most of it in text detection. An MRZ has a strong
geometric signature instead: 2 or 3 long, parallel, equally long lines of monospaced characters at
the same left edge. Classic morphology on a downscaled copy finds those lines in ~15 ms; each line
is then cut out at full resolution (deskewed by its own minAreaRect, or turned 180°) and recognised
alone (~50-70 ms per line on one core). Full-page OCR (RapidOCR detection at 960 px, then the
same recogniser per line) is only the fallback, and the reader for cards without an MRZ (CNIC).

Models: the ONNX files inside the rapidocr wheel, given by explicit path (so RapidOCR never reaches
its download code), one onnxruntime intra-op thread: checks run in worker processes, a core each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kyc.images import DecodedImage
from kyc.mrz import MrzError, MrzResult, ReadChar, extract_mrz_indices, mrz_likeness, parse_mrz

MRZ_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"

log = logging.getLogger(__name__)

WORK_WIDTH = 1000  # px: band search runs on a copy this wide (chars are then ~8-30 px tall)
REC_HEIGHT = 48  # RapidOCR's recogniser input height
# Character pitch fed to the recogniser, in px at REC_HEIGHT. Cost is linear in width (~0.09 ms/px on
# one core, ~65 ms for a 44-character line at 16 px); CTC emits one step per 8 px and needs a blank
# between repeated characters, so runs of '<' need >= 16 px: at 14 px fillers get dropped.
REC_PITCHES = (16.0, 21.0)  # first read, re-read (with CLAHE)
PAGE_SIDE = 960  # px: longest side for full-page text detection (its cost grows with the area)
PAGE_SQUASH = 0.7  # printed text is recognised 30% narrower than natural: cost is linear in width
LINE_PAD = 0.45  # vertical padding around a line, as a fraction of its height, on each side


class OcrUnavailableError(RuntimeError):
    pass


# --- engine ---------------------------------------------------------------------------------------


_engine_lock = threading.Lock()
_engine: Any = None


def _model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


def engine_params() -> dict[str, Any]:
    """RapidOCR settings: local wheel models only, one thread, no angle classifier, quiet logs."""
    models = _model_dir()
    paths = {
        "Det.model_path": models / "PP-OCRv6_det_small.onnx",
        "Rec.model_path": models / "PP-OCRv6_rec_small.onnx",
        "Cls.model_path": models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        # Without the files RapidOCR would try to download them: refuse instead.
        raise OcrUnavailableError(f"RapidOCR model files missing from the wheel: {missing}")
    return {
        **{key: str(path) for key, path in paths.items()},
        "Global.model_root_dir": str(models),
        "Global.log_level": "error",
        "Global.use_cls": False,
        # Detection (full-page fallback only) at the size we give it: by default it upsizes the
        # shorter side to 736 px, which doubles its cost on a 960 px page.
        "Det.limit_type": "max",
        "Det.limit_side_len": PAGE_SIDE,
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


def get_engine() -> Any:
    """The process-wide RapidOCR instance, used for text detection (page fallback, CNIC); its models
    load lazily on first use, then stay in memory."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from rapidocr import RapidOCR

                _engine = RapidOCR(params=engine_params())
    return _engine


_call_lock = threading.Lock()


def _run_engine(image: np.ndarray, *, use_det: bool, use_cls: bool) -> Any:
    """One RapidOCR call (never its recogniser: see `Recogniser`). RapidOCR stores the per-call
    use_det/use_cls flags on the shared instance, so calls from several threads are serialised."""
    with _call_lock:
        return get_engine()(image, use_det=use_det, use_cls=use_cls, use_rec=False)


class Recogniser:
    """RapidOCR's PP-OCRv6 recognition model (from its wheel) run directly through onnxruntime.

    Same model and preprocessing as `RapidOCR(use_det=False)`, but we keep the per-step CTC
    probabilities: MRZ lines are decoded within the MRZ alphabet (lowercase and '«' folded in) and
    every character comes with the model's probability for its alternatives, which the MRZ repair
    uses to choose between candidates. One intra-op thread, like the detector.
    """

    MIN_WIDTH = 64  # px: narrower inputs are zero-padded (as RapidOCR pads to its minimum width)

    def __init__(self, model_path: Path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        characters = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.charset = ["", *characters, " "]  # CTC blank first and space last, as RapidOCR decodes
        index = {c: i for i, c in enumerate(self.charset) if c}
        groups = []
        for char in MRZ_ALPHABET:
            members = [char, char.lower()] if char.isalpha() else [char]
            if char == "<":
                members += ["«", "\u2039"]
            groups.append([index[m] for m in members if m in index])
        self.mrz_groups = groups

    def probabilities(self, rgb_line: np.ndarray) -> np.ndarray:
        """T x classes softmax output for one line image (any height; resized to REC_HEIGHT)."""
        h, w = rgb_line.shape[:2]
        if h != REC_HEIGHT:
            w = max(1, round(w * REC_HEIGHT / h))
            rgb_line = cv2.resize(rgb_line, (w, REC_HEIGHT), interpolation=cv2.INTER_AREA)
        x = np.zeros((1, 3, REC_HEIGHT, max(w, self.MIN_WIDTH)), dtype=np.float32)
        # PaddleOCR models are trained on BGR images scaled to [-1, 1].
        x[0, :, :, :w] = rgb_line[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
        return self.session.run(None, {self.input_name: x})[0][0]

    def decode_text(self, probs: np.ndarray) -> tuple[str, float]:
        """Greedy CTC decoding over the whole character set (printed text)."""
        best = probs.argmax(axis=1)
        keep = (best != 0) & np.concatenate(([True], best[1:] != best[:-1]))
        if not keep.any():
            return "", 0.0
        text = "".join(self.charset[i] for i in best[keep])
        return text, float(probs[keep, best[keep]].mean())

    def decode_mrz(self, probs: np.ndarray) -> tuple[str, list[ReadChar], float]:
        """Greedy CTC decoding restricted to the MRZ alphabet, with per-character alternatives and,
        for blank stretches before a character, the likeliest character hidden in them (where a
        collapsed repeat such as the first T of "BUTT" went)."""
        folded = np.column_stack([probs[:, 0]] + [probs[:, g].sum(axis=1) for g in self.mrz_groups])
        best = folded.argmax(axis=1)
        reads: list[ReadChar] = []
        t, last_end = 0, 0
        while t < len(best):
            k = int(best[t])
            end = t + 1
            while end < len(best) and best[end] == k:
                end += 1
            if k != 0:
                span = folded[t:end].max(axis=0)
                alternatives = {
                    MRZ_ALPHABET[j - 1]: float(span[j])
                    for j in np.flatnonzero(span >= 0.01)
                    if j not in (0, k)
                }
                gap_char, gap_p = "", 0.0
                if reads and t - last_end >= 2:
                    hidden = folded[last_end:t, 1:].max(axis=0)
                    j = int(hidden.argmax())
                    gap_char, gap_p = MRZ_ALPHABET[j], float(hidden[j])
                reads.append(
                    ReadChar(MRZ_ALPHABET[k - 1], float(span[k]), alternatives, t, end, gap_char, gap_p)
                )
                last_end = end
            t = end
        confidence = float(np.mean([r.confidence for r in reads])) if reads else 0.0
        return "".join(r.char for r in reads), reads, confidence


_recogniser: Recogniser | None = None


def get_recogniser() -> Recogniser:
    global _recogniser
    if _recogniser is None:
        with _engine_lock:
            if _recogniser is None:
                _recogniser = Recogniser(Path(engine_params()["Rec.model_path"]))
    return _recogniser


def warm_up() -> None:
    """Load every model now (~0.5 s) instead of during a worker's first document check."""
    blank = np.full((REC_HEIGHT, 4 * REC_HEIGHT, 3), 255, np.uint8)
    recognise([blank])
    _run_engine(blank, use_det=False, use_cls=True)
    _run_engine(np.full((64, 64, 3), 255, np.uint8), use_det=True, use_cls=False)


def recognise(line_images: Sequence[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition only (no detection) of already-cut single-line RGB images."""
    rec = get_recogniser()
    return [rec.decode_text(rec.probabilities(img)) for img in line_images]


def recognise_mrz(line_images: Sequence[np.ndarray]) -> list[tuple[str, list[ReadChar], float]]:
    rec = get_recogniser()
    return [rec.decode_mrz(rec.probabilities(img)) for img in line_images]


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the full-resolution image
    mrz_reads: tuple[ReadChar, ...] = ()  # the same line decoded within the MRZ alphabet


def _cut_box(rgb: np.ndarray, quad: np.ndarray, squash: float) -> np.ndarray:
    """A detected quadrilateral, rectified to REC_HEIGHT and narrowed by `squash`."""
    tl, tr, br, bl = quad.astype(np.float32)
    width = max(float(np.linalg.norm(tr - tl)), float(np.linalg.norm(br - bl)))
    height = max(float(np.linalg.norm(bl - tl)), float(np.linalg.norm(br - tr)), 1.0)
    out_w = max(16, round(width * REC_HEIGHT / height * squash))
    dst = np.array([[0, 0], [out_w, 0], [out_w, REC_HEIGHT], [0, REC_HEIGHT]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], dtype=np.float32), dst)
    return cv2.warpPerspective(
        rgb, matrix, (out_w, REC_HEIGHT), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


ORIENTATION_SAMPLES = 7  # widest detected lines given to the 0/180° classifier (~3 ms each)


def _upside_down(crops: Sequence[np.ndarray]) -> bool:
    """Majority vote of RapidOCR's text-direction classifier (0° / 180°) over the widest lines."""
    widest = sorted(crops, key=lambda c: -c.shape[1])[:ORIENTATION_SAMPLES]
    votes = [_run_engine(c, use_det=False, use_cls=True).cls_res[0][0] for c in widest]
    return votes.count("180") > len(votes) / 2


def read_page(rgb: np.ndarray, *, max_side: int = PAGE_SIDE) -> list[TextLine]:
    """Full OCR at reduced scale, lines in reading order: detection on a copy shrunk to `max_side`,
    recognition of each line cut from the full-resolution image (one at a time: batching pads
    every line to the widest one, which costs more than it saves on one core). An upside-down page
    (by the direction classifier) has its lines turned and its boxes mapped to the upright page."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = rgb
    if scale < 1:
        small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    det = _run_engine(small, use_det=True, use_cls=False)
    boxes = getattr(det, "boxes", None)
    if boxes is None or len(boxes) == 0:
        return []
    quads = [np.asarray(box, dtype=np.float32) / scale for box in boxes]
    crops = [_cut_box(rgb, quad, PAGE_SQUASH) for quad in quads]
    if _upside_down(crops):
        crops = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
        quads = [np.array([w, h], dtype=np.float32) - q for q in quads]
    rec = get_recogniser()
    lines = []
    for quad, crop in zip(quads, crops, strict=True):
        probs = rec.probabilities(crop)
        text, score = rec.decode_text(probs)
        if not text.strip():
            continue
        box = (
            float(quad[:, 0].min()),
            float(quad[:, 1].min()),
            float(quad[:, 0].max()),
            float(quad[:, 1].max()),
        )
        # Decoding within the MRZ alphabet too costs ~1 ms and lets an MRZ found here be repaired
        # with the recogniser's probabilities, as on the band path.
        lines.append(TextLine(text, score, box, tuple(rec.decode_mrz(probs)[1])))
    lines.sort(key=lambda t: ((t.box[1] + t.box[3]) / 2, t.box[0]))
    return lines


# --- band search ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One text line found by morphology, as a rotated rectangle in full-resolution pixels."""

    cx: float
    cy: float
    length: float  # along the text direction
    thickness: float
    angle: float  # degrees, text direction, in (-45, 45]

    def left_end(self) -> tuple[float, float]:
        rad = np.deg2rad(self.angle)
        return self.cx - self.length / 2 * np.cos(rad), self.cy - self.length / 2 * np.sin(rad)


def _line_blobs(gray: np.ndarray) -> tuple[list[Bar], int]:
    """Text-line blobs on a downscaled copy: blackhat (dark strokes on light paper, whatever the
    light), Otsu, horizontal closing to join characters, opening to drop specks. Returns the blobs
    in full-resolution pixels and the working width."""
    h, w = gray.shape
    scale = WORK_WIDTH / w if w > WORK_WIDTH else 1.0
    small = gray
    if scale < 1:
        # INTER_AREA antialiases big reductions (12 MP) but costs ~9 ms at 2 MP where bilinear takes 1.
        interp = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
        small = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=interp)
    sw = small.shape[1]
    k = max(3, round(sw / 1000 * 25))
    blackhat = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    _, binary = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    join = max(3, round(sw / 1000 * 36))  # > the widest expected pitch: "<" runs leave pitch-wide gaps
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (join, 3)))
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    blobs = []
    for contour in contours:
        if len(contour) < 5:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if rw < rh:  # normalise so `length` runs along the text
            rw, rh, angle = rh, rw, angle - 90
        angle = (angle + 90) % 180 - 90  # a line's direction is defined modulo 180°: (-90, 90]
        if abs(angle) > 45 or rh < 3:  # vertical blobs are not text of an upright/upside-down page
            continue
        blobs.append(Bar(cx / scale, cy / scale, rw / scale, rh / scale, float(angle)))
    return blobs, sw


def _bars(gray: np.ndarray) -> list[Bar]:
    """Blobs long and thin enough to be a whole MRZ line."""
    blobs, sw = _line_blobs(gray)
    scale = min(1.0, WORK_WIDTH / gray.shape[1])
    return [b for b in blobs if b.length * scale >= 0.15 * sw and b.length / b.thickness >= 8]


def has_text(gray: np.ndarray) -> bool:
    """Cheap test (a few ms) for any printed text at all, to skip full-page OCR on blank images."""
    blobs, sw = _line_blobs(gray)
    scale = min(1.0, WORK_WIDTH / gray.shape[1])
    return sum(b.length * scale >= 0.02 * sw and b.length >= 2 * b.thickness for b in blobs) >= 2


def _group_score(group: Sequence[Bar]) -> float | None:
    """How well bars form an MRZ: parallel, equally long, same left edge, regular spacing."""
    lengths = [b.length for b in group]
    if max(lengths) > 1.12 * min(lengths):
        return None
    if max(b.angle for b in group) - min(b.angle for b in group) > 3.0:
        return None
    mean_len = float(np.mean(lengths))
    lefts = [b.left_end() for b in group]
    rad = np.deg2rad(np.mean([b.angle for b in group]))
    along = [x * np.cos(rad) + y * np.sin(rad) for x, y in lefts]
    if max(along) - min(along) > 0.06 * mean_len:
        return None
    across = sorted(-x * np.sin(rad) + y * np.cos(rad) for x, y in ((b.cx, b.cy) for b in group))
    gaps = np.diff(across)
    thick = float(np.median([b.thickness for b in group]))
    if any(g < 1.1 * thick or g > 3.5 * thick for g in gaps):
        return None
    if len(gaps) > 1 and max(gaps) > 1.25 * min(gaps):
        return None
    # MRZ lines are 30-44 monospaced characters: about as many character heights long.
    ratio = mean_len / thick
    if not 12 <= ratio <= 70:
        return None
    return mean_len * len(group)


@dataclass(frozen=True, slots=True)
class Band:
    lines: tuple[Bar, ...]  # top to bottom as found in the image
    score: float

    @property
    def centre_y(self) -> float:
        return float(np.mean([b.cy for b in self.lines]))


def find_mrz_bands(gray: np.ndarray, *, limit: int = 3) -> list[Band]:
    """Candidate MRZ bands, best first (2-3 line groups; longest lines first)."""
    bars = _bars(gray)
    bars.sort(key=lambda b: b.cy)
    found: list[Band] = []
    for size in (3, 2):
        for i in range(len(bars)):
            # Neighbours below bar i that could be the next MRZ lines (bounded look-ahead).
            near = [b for b in bars[i + 1 : i + 8] if b.cy - bars[i].cy < 4 * size * bars[i].thickness]
            for combo in _combos(near, size - 1):
                group = (bars[i], *combo)
                score = _group_score(group)
                if score is not None:
                    found.append(Band(group, score))
    found.sort(key=lambda b: -b.score)
    unique: list[Band] = []
    for band in found:  # a 2-line subset of a 3-line band is the same band
        if not any(set(band.lines) <= set(u.lines) for u in unique):
            unique.append(band)
    return unique[:limit]


def _combos(items: Sequence[Bar], n: int) -> list[tuple[Bar, ...]]:
    from itertools import combinations

    return list(combinations(items, n))


# --- cutting lines out ----------------------------------------------------------------------------


def cut_line(gray: np.ndarray, bar: Bar, *, pitch: float, chars: int, flip: bool) -> np.ndarray:
    """The line at full resolution, deskewed, padded, resampled so one character is `pitch` px wide
    at REC_HEIGHT, returned as RGB for the recogniser."""
    height = bar.thickness * (1 + 2 * LINE_PAD)
    length = bar.length + 1.2 * bar.thickness  # half a character of margin at each end
    out_w = max(32, round(chars * pitch * length / bar.length))
    out_h = REC_HEIGHT
    rad = np.deg2rad(bar.angle)
    ux, uy = np.cos(rad), np.sin(rad)  # along the text
    vx, vy = -uy, ux  # down the page
    c = np.array([bar.cx, bar.cy])
    tl = c - np.array([ux, uy]) * length / 2 - np.array([vx, vy]) * height / 2
    tr = tl + np.array([ux, uy]) * length
    bl = tl + np.array([vx, vy]) * height
    # Warping samples without antialiasing: from a 12 MP photo (lines ~100 px high) go to an
    # intermediate size first, then shrink with INTER_AREA, or strokes alias into stray characters.
    factor = int(max(1, min(4, height // (2 * out_h))))
    big_w, big_h = out_w * factor, out_h * factor
    src = np.array([tl, tr, bl], dtype=np.float32)
    dst = np.array([[0, 0], [big_w, 0], [0, big_h]], dtype=np.float32)
    if flip:  # upside-down page: read the same rectangle from its other corner
        dst = np.array([[big_w, big_h], [0, big_h], [big_w, 0]], dtype=np.float32)
    matrix = cv2.getAffineTransform(src, dst)
    crop = cv2.warpAffine(
        gray, matrix, (big_w, big_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if factor > 1:
        crop = cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)


def _enhance(crop: np.ndarray) -> np.ndarray:
    """Re-read variant: local contrast (CLAHE) against uneven light and faded print."""
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    gray = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(1, 8)).apply(gray)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


# --- reading the MRZ ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MrzRead:
    """One reading of the MRZ (text is personal data: never log `lines` or `result`)."""

    lines: tuple[str, ...]
    confidence: float  # mean recogniser score over the lines
    result: MrzResult | None  # None when the text could not be parsed as an MRZ
    flipped: bool  # read as upside down
    method: str  # "band" or "page"
    likeness: float = 0.0  # mean `mrz_likeness` of the unconstrained text


def _read_band(gray: np.ndarray, band: Band, *, attempt: int, flip: bool, today: date | None) -> MrzRead:
    lines = sorted(band.lines, key=lambda b: b.cy, reverse=flip)
    chars = 30 if len(lines) == 3 else 44  # TD2 (36) is read at TD3 pitch: slightly wider, same result
    pitch = REC_PITCHES[min(attempt, len(REC_PITCHES) - 1)]
    rec = get_recogniser()
    decoded: list[tuple[str, list[ReadChar], float]] = []
    free: list[str] = []
    for bar in lines:
        crop = cut_line(gray, bar, pitch=pitch, chars=chars, flip=flip)
        probs = rec.probabilities(_enhance(crop) if attempt > 0 else crop)
        decoded.append(rec.decode_mrz(probs))
        # Unconstrained text says whether this is MRZ-looking at all (upside-down lines decode to
        # lowercase, punctuation and CJK characters; the MRZ-only decoding would hide that).
        free.append(rec.decode_text(probs)[0])
        if mrz_likeness(free[-1]) < 0.5:
            # Printed fields that happen to line up like an MRZ, or the wrong orientation: stop
            # after one line instead of paying for all of them.
            return MrzRead(tuple(d[0] for d in decoded), decoded[-1][2], None, flip, "band", 0.0)
    return _to_read(
        [d[0] for d in decoded],
        [d[2] for d in decoded],
        flip,
        "band",
        today,
        reads=[d[1] for d in decoded],
        free_text=free,
    )


def _to_read(
    texts: Sequence[str],
    scores: Sequence[float],
    flip: bool,
    method: str,
    today: date | None,
    *,
    reads: Sequence[Sequence[ReadChar]] | None = None,
    free_text: Sequence[str] | None = None,
) -> MrzRead:
    confidence = float(np.mean(scores)) if scores else 0.0
    try:
        result: MrzResult | None = parse_mrz(texts, today=today, reads=reads)
    except MrzError:
        result = None
    likeness = float(np.mean([mrz_likeness(t) for t in (free_text or texts)])) if texts else 0.0
    return MrzRead(tuple(texts), confidence, result, flip, method, likeness)


def _plausible(read: MrzRead) -> bool:
    """Looks like an MRZ read in the right orientation (upside-down text reads as junk: low
    likeness, low confidence, and check digits that pass only by chance)."""
    if read.result is None or read.likeness < 0.6:
        return False
    return read.confidence >= 0.8 or sum(read.result.check_digits.values()) >= 2


def read_mrz(
    image: DecodedImage, *, today: date | None = None, attempt: int = 0, hint_flip: bool | None = None
) -> MrzRead | None:
    """Read the MRZ of one image; `attempt` > 0 selects the re-read variant (other scale, CLAHE).

    Returns None when no MRZ-like band is found or nothing read from it looks like an MRZ.
    """
    for gray in _orientations(image.gray):
        bands = find_mrz_bands(gray)
        log.debug("mrz band search: %d candidate(s), attempt %d", len(bands), attempt)  # no content
        for band in bands:
            # An MRZ sits in the lower part of the document: a band in the upper half suggests 180°.
            flip_first = hint_flip if hint_flip is not None else band.centre_y < gray.shape[0] / 2
            for flip in (flip_first, not flip_first):
                read = _read_band(gray, band, attempt=attempt, flip=flip, today=today)
                if _plausible(read):
                    return read
                if read.confidence >= 0.85:
                    break  # confidently read, upright, but not an MRZ: the other orientation is junk
        if bands:
            return None  # bands were found (and read) in this orientation: do not look sideways
    return None


def _orientations(gray: np.ndarray) -> Iterator[np.ndarray]:
    """The image as uploaded, then turned 90° each way (portrait photos of landscape documents);
    180° is handled per band. Turning is lazy: only when the previous orientation found no band."""
    yield gray
    yield cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE)
    yield cv2.rotate(gray, cv2.ROTATE_90_COUNTERCLOCKWISE)


def read_page_lines(image: DecodedImage, *, max_side: int = PAGE_SIDE) -> list[TextLine]:
    """Full-page OCR at reduced scale, upright or upside down (one pass: bounded, ~1 s per core)."""
    return read_page(image.rgb, max_side=max_side)


def mrz_from_page_lines(lines: Sequence[TextLine], *, today: date | None = None) -> MrzRead | None:
    """The MRZ among full-page OCR lines (the fallback when no band was found), if any."""
    found = extract_mrz_indices([t.text for t in lines])
    if not found:
        return None
    picked = [lines[i] for i in found]
    read = _to_read(
        ["".join(r.char for r in t.mrz_reads) for t in picked],
        [t.score for t in picked],
        False,
        "page",
        today,
        reads=[t.mrz_reads for t in picked],
        free_text=[t.text for t in picked],
    )
    return read if read.result is not None else None
