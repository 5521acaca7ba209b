"""`privacycam process` on real clips: same frames out, only skin (and spoof-hr's halo) changed, invisible edits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from itertools import islice, zip_longest
from pathlib import Path

import cv2
import numpy as np
import pytest
from rppg_clips import write_ffv1

from privacycam.app.process import process_file
from privacycam.cli import main
from privacycam.editors.refine import REFINE_ATTACKERS, TraceRefiner
from privacycam.modes import parse_mode
from privacycam.rppg.roi import open_video


def _fps(path: Path) -> float:
    return open_video(path)[0].fps


def _frames(path: Path) -> Iterator[np.ndarray]:
    """The video's frames one at a time, decoded as process decodes them (a 720p clip held
    whole is gigabytes once compared)."""
    return open_video(path)[1]


def _read_all(path: Path) -> tuple[np.ndarray, float]:
    return np.array(list(_frames(path))), _fps(path)


# the whole of evm_face; the first 5 s of the 720x1280 webcam-like clip (its 12 s take minutes)
@pytest.mark.parametrize("clip_name, seconds", [("evm_face.mp4", None), ("lp_d13.mp4", 5.0)])
def test_process_real_clip_keeps_frames_and_changes_only_skin_and_halo(shared_data, tmp_path, clip_name, seconds):
    clip = shared_data / "clips" / clip_name
    if seconds is not None:
        fps = _fps(clip)  # decoded, written losslessly one frame at a time
        clip = write_ffv1(tmp_path / "excerpt.avi", islice(_frames(clip), int(round(seconds * fps))), fps)
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    out = tmp_path / "out.mkv"
    regions: list[tuple] = []
    result = process_file(
        clip, out, parse_mode("spoof-hr", 90), progress=False,
        on_frame=lambda frame, r: regions.append((r.editable(), r.protected)),
    )
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == digest, "input was modified"
    assert abs(_fps(out) - _fps(clip)) < 0.01
    frames = protected = squared_error = values = 0
    for i, (original, filtered) in enumerate(zip_longest(_frames(clip), _frames(out))):
        assert original is not None and filtered is not None, f"frame {i}: frame counts differ"
        assert filtered.shape == original.shape
        editable, was_protected = regions[i]
        diff = filtered != original
        allowed = editable if was_protected else np.zeros_like(editable)
        protected += was_protected
        assert not diff.any(axis=2)[~allowed].any(), f"frame {i}: pixels outside the skin mask and the halo changed"
        squared_error += int(((filtered.astype(np.int64) - original) ** 2).sum())
        values += original.size
        frames += 1
    assert result.frames == frames == len(regions)
    assert protected >= 0.9 * frames
    assert squared_error == 0 or 10 * np.log10(255.0**2 * values / squared_error) >= 45.0  # PSNR


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
    clip = write_ffv1(tmp_path / "in.mkv", np.array(list(islice(_frames(evm_clip), 50))), _fps(evm_clip))
    out, stats = tmp_path / "out.mkv", tmp_path / "stats.json"
    args = ["process", str(clip), str(out), "--mode", "spoof-hr", "90", "--quality", "max", "--no-progress", "--stats-json", str(stats)]
    assert main(args) == 0
    refine = json.loads(stats.read_text())["stats"]["refine"]
    assert refine["plans"] >= 2 and refine["steps"] == 40 * refine["plans"] and refine["misses"] == 0
    assert attackers == [(*REFINE_ATTACKERS, "ica", "ica@recording")]
