"""The demo (``privacycam demo``): no webcam needed. A clip with a known pulse is made from a
public-domain portrait, filtered, and evaluated."""

from __future__ import annotations

import time
from pathlib import Path

from privacycam.config import FilterConfig
from privacycam.modes import Mode

DEMO_PULSE_BPM = 66.0


def run_demo(out_dir: Path, mode: Mode) -> dict:
    """Make the clip, filter it, evaluate; returns the paths and headline numbers."""
    import numpy as np

    from privacycam.app.demo_clip import make_demo_clip
    from privacycam.app.process import process_file
    from privacycam.evaluation.command import write_report
    from privacycam.evaluation.report import evaluate

    out_dir.mkdir(parents=True, exist_ok=True)
    original = make_demo_clip(out_dir / "original.mkv", DEMO_PULSE_BPM)
    filtered = out_dir / "filtered.mkv"
    start = time.perf_counter()
    result = process_file(original, filtered, mode)
    seconds = time.perf_counter() - start
    evaluation = evaluate(original, filtered, target_bpm=mode.target_bpm if mode.spoof else None)
    report_dir = write_report(evaluation, out_dir / "report")
    times = np.asarray(result.report.frame_times_ms)
    return {
        "original": original,
        "filtered": filtered,
        "report": report_dir,
        "evaluation": evaluation,
        "median_ms": float(np.median(times)),
        "p95_ms": float(np.percentile(times, 95)),
        "plan_every": FilterConfig().plan_every,
        "wall_s": seconds,
    }
