"""File mode safety: bad inputs give one clear error line and a non-zero exit; IN is never
modified; OUT appears only when complete; SIGTERM keeps a playable partial file."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import REPO
from privacycam.app.process import process_file
from privacycam.cli import main
from privacycam.io.sources import SyntheticSource, VideoFileSource
from privacycam.modes import parse_mode


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clip(path: Path, frames: int, width: int = 320, height: int = 240) -> Path:
    codec = "mp4v" if path.suffix == ".mp4" else "FFV1"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 30.0, (width, height))
    for frame in SyntheticSource(width, height, 30.0, frames=frames):
        writer.write(frame.image)
    writer.release()
    return path


def _count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


def _corrupt(path: Path) -> None:
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + np.random.default_rng(0).bytes(20000))


def _truncated(path: Path) -> None:
    full = _clip(path.with_name("full.mp4"), 30).read_bytes()
    path.write_bytes(full[: len(full) // 2])  # OpenCV writes the mp4 index last: it is gone


def _zero_frames(path: Path) -> None:
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 30.0, (320, 240)).release()


def _not_a_video(path: Path) -> None:
    path.write_text("meeting notes, not a video\n" * 50)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "make, name, message",
    [
        (_corrupt, "corrupt.mp4", "looks like an MP4/MOV file but cannot be decoded"),
        (_truncated, "truncated.mp4", "looks like an MP4/MOV file but cannot be decoded: it is truncated"),
        (_zero_frames, "empty.avi", "no decodable frames"),
        (_not_a_video, "notes.mp4", "is not a video file that FFmpeg can read"),
        (_empty, "zero-bytes.mkv", "is empty (0 bytes)"),
    ],
)
def test_bad_input_is_one_error_line_and_nonzero_exit(tmp_path, capsys, make, name, message):
    source = tmp_path / "in" / name
    source.parent.mkdir()
    make(source)
    before = _digest(source)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["process", str(source), str(out_dir / "out.mkv"), "--mode", "erase", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("privacycam: error: ") and message in err[0], err
    assert _digest(source) == before
    assert list(out_dir.iterdir()) == []  # no OUT, no temporary file left behind


def test_truncated_but_decodable_input_keeps_what_decodes_and_says_so(tmp_path, caplog):
    full = _clip(tmp_path / "full.mkv", 60).read_bytes()
    source = tmp_path / "cut.mkv"
    source.write_bytes(full[: len(full) * 2 // 3])
    before = _digest(source)
    out = tmp_path / "out.mkv"
    assert main(["process", str(source), str(out), "--mode", "erase", "--no-progress"]) == 0
    decoded = _count_frames(out)
    assert 0 < decoded < 60 and _digest(source) == before
    warning = f"cut.mkv: {60 - decoded} of 60 frames could not be decoded (truncated or corrupt file); kept the first {decoded}"
    assert warning in caplog.messages


def test_out_appears_only_when_complete_and_in_is_untouched(tmp_path):
    source = _clip(tmp_path / "in.avi", 40)
    before = _digest(source)
    out = tmp_path / "out.mkv"
    seen: list[tuple[bool, list[str]]] = []

    def during(frame, result) -> None:
        seen.append((out.exists(), sorted(p.name for p in tmp_path.iterdir())))

    result = process_file(source, out, parse_mode("erase"), progress=False, on_frame=during)
    assert len(seen) == 40 and not any(exists for exists, _ in seen)
    assert all(any(name.startswith(".out.") and name.endswith(".tmp.mkv") for name in names) for _, names in seen)
    assert result.frames == 40 == _count_frames(out)
    assert _digest(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.avi", "out.mkv"]


def test_sigterm_keeps_a_playable_partial_file_and_says_so(tmp_path):
    source = _clip(tmp_path / "in.avi", 500)  # ~3 s of work; the signal comes after ~1 s
    before = _digest(source)
    out = tmp_path / "out.mkv"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "privacycam", "process", str(source), str(out), "--mode", "spoof-hr", "90", "--editor", "spectral", "--no-progress"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.") and p.stat().st_size > 0 for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(1.0)  # about a second of frames written
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    partial = tmp_path / "out.partial.mkv"
    lines = [line for line in err.splitlines() if line.startswith("privacycam: error: ")]
    assert proc.returncode == 2 and len(lines) == 1, err
    done = int(lines[0].split("interrupted after ")[1].split()[0])
    assert lines[0].endswith(f"the frames done so far are in {partial}")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.avi", "out.partial.mkv"]
    assert 0 < done < 500
    with VideoFileSource(partial) as played:  # playable: it opens and every frame decodes
        frames = list(played)
    assert len(frames) == done and frames[0].image.shape == (240, 320, 3) and not played.problems
    assert _digest(source) == before
