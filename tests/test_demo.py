"""The README's first command: ``privacycam demo`` (no webcam, no shared data) does what it says."""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from privacycam.cli import main
from privacycam.demo import DEMO_PULSE_BPM

# The one estimator the demo's spoof does not move yet: PBV keeps reading the injected pulse
# in 2 of 3 windows (README status, "spoof-hr"; PBV is the estimator every editor fools least)
KNOWN_MISSES = {"pbv"}


def test_demo_filters_a_clip_with_a_known_pulse_and_reports_it(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "injected pulse 66 bpm" in printed and "mode spoof-hr 90" in printed and "ms/frame" in printed

    original, filtered = cv2.VideoCapture(str(out / "original.mkv")), cv2.VideoCapture(str(out / "filtered.mkv"))
    frames = [int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) for capture in (original, filtered)]
    assert frames[0] == frames[1] == 360  # 12 s at 30 fps, nothing lost

    report = json.loads((out / "report" / "report.json").read_text())
    assert (out / "report" / "hr_windows.png").stat().st_size > 0
    assert report["target_bpm"] == 90 and report["fidelity"]["psnr_db"] >= 45.0
    estimators = {e["name"]: e for e in report["estimators"]}
    assert len(estimators) == 9
    for name, e in estimators.items():  # the clip's ground truth: every estimator reads the injected pulse
        assert abs(e["hr_original"] - DEMO_PULSE_BPM) <= 5.0, name
    missed = {name for name, e in estimators.items() if e["within_target"] < 1.0}
    assert missed <= KNOWN_MISSES, f"estimators not reading 90 bpm in every window: {sorted(missed)}"
