"""Could editing the pixels *around* the skin fix the attacker-box misses?

Flattening them (the default) did not, at any tolerable cost; adding the target there
(``--inject-bpm``) did, and became the pipeline's halo (:mod:`privacycam.stream.halo`), which
copies the skin's own relative colour change instead of this probe's absolute one.

``benchmarks/attacker_boxes.py`` found that in a box around the face the original's pulse
reading comes from the pixels outside the skin mask (hair, background, eyes, lips), which the
filter leaves alone. This probe removes their flicker after the fact: on a coarse grid fixed
in the frame (``--cell-px``), each cell's non-skin mean colour is compared with its own
exponential moving average (time constant ``--tau-s``; a high-pass well below the pulse
band), and the difference, clipped to ``--limit`` grey levels, is subtracted from the cell's
non-skin pixels (bilinear between cells, zero on the skin), inside the square of ``--scale`` x
the face box. Causal; computed on the original frame, added with stochastic rounding to the
filtered one. Then run ``privacycam eval`` on the output and compare with the input.

With ``--inject-bpm B --inject-grey A`` it instead adds the spoof target itself to those
non-skin pixels: the pipeline's target pulse at B bpm (same generator and seed, so in phase
with the skin's), A grey levels per unit of it along the blood-volume colour, tapered to zero
over the square's outer sixth (the halo's weights). Run it on a clip filtered with ``--halo 0``.

    .venv/bin/privacycam process ../shared/data/clips/lp_d14.mp4 spoof90.mkv --mode spoof-hr 90 --halo 0
    .venv/bin/python benchmarks/halo_probe.py ../shared/data/clips/lp_d14.mp4 spoof90.mkv halo.mkv --limit 2
    .venv/bin/privacycam eval ../shared/data/clips/lp_d14.mp4 halo.mkv --target 90
    .venv/bin/python benchmarks/halo_probe.py ../shared/data/clips/lp_d14.mp4 spoof90.mkv inject.mkv \
        --inject-bpm 90 --inject-grey 1
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import cv2
import numpy as np

from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.pulse.colour import BLOOD_VOLUME_BGR
from privacycam.pulse.target import TargetPulse
from privacycam.stream.dither import StochasticRounder
from privacycam.stream.halo import halo_weights
from privacycam.stream.pipeline import detector_square, face_box

Box = tuple[int, int, int, int]  # x0, y0, x1, y1


class HaloFlattener:
    """Per-frame correction of the non-skin pixels of a region around the face."""

    def __init__(self, fps: float, cell_px: int, tau_s: float, limit: float, min_share: float) -> None:
        self.cell_px = cell_px
        self.limit = limit
        self.min_share = min_share  # a cell needs this share of non-skin pixels to be corrected
        self._alpha = 1.0 - float(np.exp(-1.0 / (tau_s * fps)))
        self._baseline: np.ndarray | None = None  # (rows, cols, 3) per-cell non-skin mean

    def correction(self, image: np.ndarray, region: Box, skin: np.ndarray, skin_box: Box) -> np.ndarray:
        """The (h, w, 3) correction to add to ``image[region]`` (``region`` contains ``skin_box``)."""
        height, width = image.shape[:2]
        rows, cols = max(1, round(height / self.cell_px)), max(1, round(width / self.cell_px))
        x0, y0, x1, y1 = region
        cy0, cx0 = int(y0 * rows / height), int(x0 * cols / width)  # the region snapped out to whole cells
        cy1, cx1 = -(-y1 * rows // height), -(-x1 * cols // width)
        py0, px0 = cy0 * height // rows, cx0 * width // cols
        py1, px1 = min(height, cy1 * height // rows), min(width, cx1 * width // cols)
        non_skin = np.ones((py1 - py0, px1 - px0), np.float32)
        sx0, sy0, sx1, sy1 = skin_box
        non_skin[sy0 - py0 : sy1 - py0, sx0 - px0 : sx1 - px0] -= skin
        cells = (cx1 - cx0, cy1 - cy0)
        weight = cv2.resize(non_skin, cells, interpolation=cv2.INTER_AREA)
        sums = cv2.resize(image[py0:py1, px0:px1].astype(np.float32) * non_skin[..., None], cells, interpolation=cv2.INTER_AREA)
        means = sums / np.maximum(weight, 1e-3)[..., None]
        previous = self._baseline  # cells the region left lose their baseline
        self._baseline = np.full((rows, cols, 3), np.nan, np.float32)
        baseline = self._baseline[cy0:cy1, cx0:cx1]
        if previous is not None:
            baseline[:] = previous[cy0:cy1, cx0:cx1]
        fresh = np.isnan(baseline)
        baseline[fresh] = means[fresh]
        baseline += self._alpha * (means - baseline)
        low = -np.clip(means - baseline, -self.limit, self.limit) * (weight >= self.min_share)[..., None]
        full = cv2.resize(low, (px1 - px0, py1 - py0), interpolation=cv2.INTER_LINEAR) * non_skin[..., None]
        return full[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]


def injection(region: Box, skin: np.ndarray, skin_box: Box, value: float, grey: float) -> np.ndarray:
    """The (h, w, 3) target pulse ``grey x value`` along the blood-volume colour (absolute grey
    levels) on the non-skin pixels of ``region``, with the pipeline's halo weights and taper."""
    return halo_weights(region, skin, skin_box)[..., None] * (np.float32(grey * value) * BLOOD_VOLUME_BGR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original", type=Path)
    parser.add_argument("filtered", type=Path)
    parser.add_argument("output", type=Path, help="lossless .mkv")
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--limit", type=float, default=2.0, help="grey levels")
    parser.add_argument("--cell-px", type=int, default=16)
    parser.add_argument("--tau-s", type=float, default=1.0)
    parser.add_argument("--min-share", type=float, default=0.0)
    parser.add_argument("--inject-bpm", type=float, help="add this spoof target instead of flattening")
    parser.add_argument("--inject-grey", type=float, default=1.0, help="grey levels per unit of the target pulse")
    args = parser.parse_args()
    original, filtered = cv2.VideoCapture(str(args.original)), cv2.VideoCapture(str(args.filtered))
    fps = original.get(cv2.CAP_PROP_FPS)
    size = int(original.get(cv2.CAP_PROP_FRAME_WIDTH)), int(original.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(args.output), cv2.VideoWriter_fourcc(*"FFV1"), fps, size)
    tracker = FaceTracker()
    halo = HaloFlattener(fps, args.cell_px, args.tau_s, args.limit, args.min_share)
    rounder = StochasticRounder(seed=0)
    target = TargetPulse(args.inject_bpm, seed=0) if args.inject_bpm else None  # the pipeline's seed
    costs = []
    try:
        for index in itertools.count():
            ok_o, frame_o = original.read()
            ok_f, frame_f = filtered.read()
            if not (ok_o and ok_f):
                break
            drive = target.advance(index / fps) if target is not None else 0.0  # every frame, as the pipeline
            face = tracker.observe(frame_o)
            if face is not None:
                box = face_box(face, frame_o.shape)
                x0, y0, x1, y1 = region = detector_square(box, frame_o.shape, args.scale)
                start = time.perf_counter()
                skin = skin_mask(face.landmarks, box)
                if target is None:
                    correction = halo.correction(frame_o, region, skin, box)
                else:
                    correction = injection(region, skin, box, drive, args.inject_grey)
                frame_f[y0:y1, x0:x1] = rounder.add(frame_f[y0:y1, x0:x1], correction)
                costs.append((time.perf_counter() - start) * 1000)
            writer.write(frame_f)
    finally:
        writer.release()
        tracker.close()
    print(f"{len(costs)} frames corrected; {np.median(costs):.1f} ms median, {np.percentile(costs, 95):.1f} ms p95")


if __name__ == "__main__":
    main()
