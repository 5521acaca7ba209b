"""How long ``privacycam eval`` and two per-frame measurements take, side by side in one process.

- ``eval``: the demo's clip (12 s, 640x480) and its spoof-hr 90 output, every installed
  estimator, with torch pinned to one thread (as refine and the de-identification search
  leave the process) and with the estimators on every usable core (what ``evaluate`` does).
- ``attacker_views`` (every frame while refine is on) and SSIM (``eval``'s slowest per-frame
  metric) on a 640x480 and a 1280x720 frame, against the expressions they replace: the
  skin-weighted mean as a broadcast float copy of the face box, SSIM on uint8 input.

    .venv/bin/python benchmarks/eval_speed.py --out /tmp/eval_speed --json benchmarks/results/eval_speed.json
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from skimage.metrics import structural_similarity

import privacycam.evaluation.report as report
from privacycam.app.demo import DEMO_PULSE_BPM
from privacycam.app.demo_clip import make_demo_clip
from privacycam.app.process import process_file
from privacycam.evaluation import metrics
from privacycam.modes import parse_mode
from privacycam.rppg.views import attacker_views

FRAMES = {"640x480": ((480, 640), (200, 100, 420, 380)), "1280x720": ((720, 1280), (500, 150, 850, 560))}


def per_call_ms(call, repeats: int) -> float:
    """Median wall time of ``call()`` over ``repeats`` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(1000 * float(np.median(times)), 2)


def frame_metrics(repeats: int) -> dict:
    rng = np.random.default_rng(0)
    rows = {}
    for label, ((height, width), box) in FRAMES.items():
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        other = np.clip(image.astype(int) + rng.integers(-3, 4, image.shape), 0, 255).astype(np.uint8)
        x0, y0, x1, y1 = box
        mask = rng.random((y1 - y0, x1 - x0)).astype(np.float32)
        held = ((x0 - 10, y0 - 10, x1 + 10, y1 + 10), (x0 - 30, y0 - 30, x1 + 30, y1 + 30), box)
        rows[label] = {
            "attacker_views_ms": per_call_ms(lambda: attacker_views(image, box, mask, held), repeats),
            "broadcast_skin_mean_ms": per_call_ms(lambda: (image[y0:y1, x0:x1] * mask[..., None]).sum(axis=(0, 1)), repeats),
            "ssim_ms": per_call_ms(lambda: metrics.ssim_map(image, other), max(3, repeats // 10)),
            "ssim_uint8_ms": per_call_ms(
                lambda: structural_similarity(image, other, channel_axis=-1, data_range=255, full=True), max(3, repeats // 10)
            ),
        }
    return rows


def eval_seconds(out: Path) -> dict:
    original, filtered = out / "original.mkv", out / "filtered.mkv"
    make_demo_clip(original, DEMO_PULSE_BPM)
    process_file(original, filtered, parse_mode("spoof-hr", 90.0), progress=False)
    torch.set_num_threads(1)  # as refine leaves the process
    seconds = {}
    for label, patch in (("pinned_one_thread", mock.patch.object(report, "all_cores", nullcontext)), ("all_cores", nullcontext())):
        with patch:
            start = time.perf_counter()
            report.evaluate(original, filtered, target_bpm=90.0)
            seconds[label] = round(time.perf_counter() - start, 1)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the demo clip and its output")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"frame_metrics": frame_metrics(args.repeats), "eval_seconds": eval_seconds(args.out)}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
