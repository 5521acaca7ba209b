"""What fitting the recording attackers' colour mixes costs the planner, plan by plan.

Refine's recording attackers (``privacycam/editors/recording.py``) fit PBV's or ICA's colour
mix on every attacker view of all the frames sent so far, up to 120 s, at every plan. This
replays a long stream through :class:`SentRecording` as the planner does (an 8-s window
every 10 frames) and times each plan's ``attacker()`` call, for PBV and ICA side by side in
one run. The stream is a real clip's face-box colour trace played forwards and backwards
until it is long enough (no jumps), in three views that differ by noise, with a small edit
applied.

    .venv/bin/python benchmarks/recording_fit_cost.py ../shared/data/clips/lp_d6.mp4 --seconds 130
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from privacycam.editors.base import Window
from privacycam.editors.recording import COLOUR_MIXES, SentRecording
from privacycam.rppg.classical import rgb_trace
from privacycam.rppg.roi import read_face_crops

WINDOW_S = 8.0  # the planner's history
PLAN_EVERY = 10  # frames between plans
VIEWS = 3
SPANS_S = ((2.0, 10.0), (10.0, 60.0), (60.0, 120.0), (120.0, np.inf))  # recording lengths reported apart


def stream_colours(clip: Path, seconds: float, seed: int = 0) -> tuple[np.ndarray, float]:
    """(n, VIEWS, 3) BGR view colours of ``seconds`` of stream made from ``clip``, and its fps."""
    faces, fps = read_face_crops(clip)
    rgb = rgb_trace(faces)
    n = int(seconds * fps)
    there_and_back = np.concatenate([rgb, rgb[::-1]])
    repeated = np.concatenate([there_and_back] * (n // len(there_and_back) + 1))[:n]
    rng = np.random.default_rng(seed)
    return repeated[:, None, ::-1] + rng.normal(0.0, 0.2, (n, VIEWS, 3)), fps


def plan_fit_times(colours: np.ndarray, fps: float, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """Per plan: the recording's length (s) and the time of its ``attacker()`` call (ms)."""
    n = len(colours)
    times = np.arange(n) / fps
    edits = 0.3 * np.sin(2 * np.pi * 1.5 * times)[:, None] * np.array([0.3, 0.8, 0.5])
    shares = np.tile(np.linspace(1.0, 0.3, VIEWS), (n, 1))
    history = int(WINDOW_S * fps)
    recording, lengths, spent = SentRecording(), [], []
    for stop in range(PLAN_EVERY, n + 1, PLAN_EVERY):
        part = slice(max(0, stop - history), stop)
        frames = stop - part.start
        recording.update(Window(np.zeros((frames, 1, 1, 3), np.uint8), np.ones((frames, 1, 1), np.float32),
                                times[part], edits[part], np.zeros(frames), colours[part], shares[part]))
        start = time.perf_counter()
        recording.attacker(estimator, fps)
        spent.append((time.perf_counter() - start) * 1000.0)
        lengths.append(recording.seconds)
    return np.array(lengths), np.array(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--seconds", type=float, default=130.0)
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "recording_fit_cost.json")
    args = parser.parse_args()
    colours, fps = stream_colours(args.clip, args.seconds)
    rows = []
    for estimator in COLOUR_MIXES:
        lengths, spent = plan_fit_times(colours, fps, estimator)
        for low, high in SPANS_S:
            part = spent[(lengths >= low) & (lengths < high)]
            if not len(part):
                continue
            row = {"estimator": estimator, "recording_s": [low, None if np.isinf(high) else high], "plans": len(part),
                   "median_ms": float(np.median(part)), "p95_ms": float(np.percentile(part, 95)), "max_ms": float(part.max())}
            rows.append(row)
            print(f"{estimator}  recording {low:5.0f}-{high:<5.0f} s  plans {row['plans']:4d}: median {row['median_ms']:6.2f}"
                  f"  p95 {row['p95_ms']:6.2f}  max {row['max_ms']:7.1f} ms per plan", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"clip": args.clip.name, "seconds": args.seconds, "views": VIEWS, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
