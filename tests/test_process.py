"""`privacycam process` on real clips: same frames out, only skin (and spoof-hr's halo) changed, invisible edits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from rppg_clips import write_ffv1

from privacycam.cli import main
from privacycam.editors.refine import REFINE_ATTACKERS, TraceRefiner
from privacycam.modes import parse_mode
from privacycam.process import process_file


def _read_all(path: Path) -> tuple[np.ndarray, float]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    return np.array(frames), fps


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize("clip_name, seconds", [("evm_face.mp4", None), ("lp_d13.mp4", None)])
def test_process_real_clip_keeps_frames_and_changes_only_skin_and_halo(shared_data, tmp_path, clip_name, seconds):
    clip = shared_data / "clips" / clip_name
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    original, fps = _read_all(clip)
    out = tmp_path / "out.mkv"
    regions: list[tuple] = []
    result = process_file(
        clip, out, parse_mode("spoof-hr", 90), progress=False,
        on_frame=lambda frame, r: regions.append((r.editable(), r.protected)),
    )
    filtered, out_fps = _read_all(out)
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == digest, "input was modified"
    assert filtered.shape == original.shape and result.frames == len(original)
    assert abs(out_fps - fps) < 0.01
    protected = 0
    for i, (editable, was_protected) in enumerate(regions):
        diff = filtered[i].astype(int) != original[i].astype(int)
        allowed = editable if was_protected else np.zeros_like(editable)
        protected += was_protected
        assert not diff.any(axis=2)[~allowed].any(), f"frame {i}: pixels outside the skin mask and the halo changed"
    assert protected >= 0.9 * len(original)
    assert _psnr(filtered, original) >= 45.0


def test_process_refuses_to_overwrite_input_and_reports_one_line(tmp_path, capsys):
    clip = tmp_path / "in.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"FFV1"), 30, (64, 48))
    for _ in range(5):
        writer.write(np.full((48, 64, 3), 100, np.uint8))
    writer.release()
    assert main(["process", str(clip), str(clip), "--mode", "erase"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "never overwrites" in err[0]
    assert main(["process", str(tmp_path / "missing.mp4"), str(tmp_path / "o.mkv"), "--mode", "off"]) == 2
    assert main(["process", str(clip), str(tmp_path / "o.mkv"), "--mode", "spoof-hr"]) == 2
    assert "needs a target heart rate" in capsys.readouterr().err


def test_process_off_mode_is_lossless_copy(tmp_path):
    clip = tmp_path / "in.avi"
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (12, 48, 64, 3), dtype=np.uint8)
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"FFV1"), 25, (64, 48))
    for f in frames:
        writer.write(f)
    writer.release()
    out = tmp_path / "out.mkv"
    assert main(["process", str(clip), str(out), "--mode", "off", "--no-progress"]) == 0
    copied, fps = _read_all(out)
    assert np.array_equal(copied, frames) and fps == 25


def test_quality_max_takes_more_steps_with_ica_among_the_attackers(evm_clip, tmp_path, monkeypatch):
    """``process --quality max``: 40 refine steps in every plan (nothing is live, so none is
    cut short) and ICA added to the live ensemble."""
    attackers = []
    construct = TraceRefiner.__init__

    def recording(self, *args, **kwargs):
        construct(self, *args, **kwargs)
        attackers.append(self.attackers)

    monkeypatch.setattr(TraceRefiner, "__init__", recording)
    frames, fps = _read_all(evm_clip)
    clip = write_ffv1(tmp_path / "in.mkv", frames[:50], fps)
    out, stats = tmp_path / "out.mkv", tmp_path / "stats.json"
    args = ["process", str(clip), str(out), "--mode", "spoof-hr", "90", "--quality", "max", "--no-progress", "--stats-json", str(stats)]
    assert main(args) == 0
    refine = json.loads(stats.read_text())["stats"]["refine"]
    assert refine["plans"] >= 2 and refine["steps"] == 40 * refine["plans"] and refine["misses"] == 0
    assert attackers == [(*REFINE_ATTACKERS, "ica", "ica@recording")]
