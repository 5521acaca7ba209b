"""``--mode spoof-wave FILE``: a recorded PPG waveform drives the pulse editor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from privacycam.cli import main
from privacycam.cli.options import mode_from_args
from privacycam.config import FilterConfig
from privacycam.editors.base import Editor, Plan, Window
from privacycam.errors import PrivacyCamError
from privacycam.modes import Mode, parse_mode
from privacycam.pulse.target import synthetic_ppg
from privacycam.pulse.waveform import WaveformTarget, read_waveform, spoof_target


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_per_frame_file_drives_the_recorded_rate(tmp_path: Path) -> None:
    wave = synthetic_ppg(12.0, 30.0, 84.0, seed=3) + np.linspace(0.0, 2.0, 360)  # a drifting baseline too
    path = tmp_path / "ppg.csv"
    np.savetxt(path, wave)
    target = WaveformTarget.from_file(path, fps=30.0)
    assert target.bpm == pytest.approx(84.0, abs=2.0)
    drive = np.array([target.advance(7.0 + i / 30.0) for i in range(360)])  # the stream's clock starts anywhere
    assert np.std(drive) * np.sqrt(2) == pytest.approx(1.0, rel=0.05)  # the synthetic target's amplitude
    assert np.corrcoef(drive, synthetic_ppg(12.0, 30.0, 84.0, seed=3))[0, 1] > 0.9
    assert target.preview(np.array([7.0 + 12.0])) == pytest.approx(drive[0], abs=0.05)  # repeats past its end


def test_time_value_rows_with_header_and_uneven_times(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.008, 0.012, 1500))  # ~100 Hz, jittered
    values = np.sin(2 * np.pi * 1.2 * times)
    path = _write(tmp_path / "ppg.csv", "time,ppg\n" + "".join(f"{t:.4f},{v:.5f}\n" for t, v in zip(times, values)))
    read_times, read_values = read_waveform(path, fps=30.0)
    assert read_times[0] == 0.0 and len(read_values) == 1500
    assert WaveformTarget.from_file(path, 30.0).bpm == pytest.approx(72.0, abs=1.0)


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "no waveform file"),
        ("", "has no values"),
        ("ppg\n", "has no values"),
        ("1\n2\nabc\n", "row 3 is not numeric"),
        ("0,1\n0,2\n", "times in"),
        ("1,2,3\n", "more than 2 columns"),
        ("\n".join(["0.5"] * 40), "lasts 1.30 s"),
        ("\n".join(["0.5"] * 90), "flat in the pulse band"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "ppg.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(PrivacyCamError, match=message) as info:
        WaveformTarget.from_file(path, 30.0)
    assert "\n" not in str(info.value)


def test_mode_parsing() -> None:
    mode = mode_from_args(["deidentify+spoof-wave", "ppg.csv"])
    assert mode == Mode(spoof=True, deidentify=True, wave="ppg.csv")
    assert mode.label() == "deidentify+spoof-wave ppg.csv"
    with pytest.raises(PrivacyCamError, match="needs a waveform file"):
        mode_from_args(["spoof-wave"])
    with pytest.raises(PrivacyCamError, match="exclude"):
        parse_mode("erase+spoof-wave", wave="ppg.csv")
    assert isinstance(spoof_target(parse_mode("spoof-hr", 90.0), 30.0), type(spoof_target(Mode(spoof=True), 30.0)))


class _DriveRecorder(Editor):
    """Records the drive the pipeline hands the editor (the spoof-hr path's drive column)."""

    name = "recorder"
    min_window_s = 0.0

    def __init__(self) -> None:
        self.drives: np.ndarray | None = None
        self.times: np.ndarray | None = None

    def plan(self, window: Window, mode: Mode) -> Plan:
        self.drives, self.times = window.drives.copy(), window.timestamps.copy()

        class Still(Plan):
            made_at, pulse_hz, region = float(window.timestamps[-1]), None, "skin"

            def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
                return np.zeros((8, 8, 3), np.float32)

        return Still()


def _short_clip(shared_data: Path, tmp_path: Path, frames: int) -> tuple[Path, float]:
    import cv2

    source = cv2.VideoCapture(str(shared_data / "clips" / "lp_d3.mp4"))
    fps = source.get(cv2.CAP_PROP_FPS)
    ok, image = source.read()
    out = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, image.shape[1::-1])
    for _ in range(frames):
        writer.write(image)
        ok, image = source.read()
    writer.release()
    return out, fps


def test_process_drives_the_editor_with_the_file(shared_data: Path, tmp_path: Path) -> None:
    from privacycam.app.process import process_file

    clip, fps = _short_clip(shared_data, tmp_path, 75)
    wave = synthetic_ppg(75 / fps, fps, 66.0, seed=5)
    path = tmp_path / "ppg.csv"
    np.savetxt(path, wave)
    recorder = _DriveRecorder()
    process_file(clip, tmp_path / "out.mkv", Mode(spoof=True, wave=str(path)), FilterConfig(refine_steps=0), recorder, progress=False)
    assert recorder.drives is not None and len(recorder.drives) > 60  # the window holds the whole stream
    expected = WaveformTarget.from_file(path, fps).preview(recorder.times)  # the file's clock starts at frame 0
    assert np.allclose(recorder.drives, expected, atol=1e-6)


def test_cli_refuses_a_waveform_shorter_than_the_video(shared_data: Path, tmp_path: Path, capsys) -> None:
    clip, _ = _short_clip(shared_data, tmp_path, 90)
    path = tmp_path / "ppg.csv"
    np.savetxt(path, synthetic_ppg(2.5, 30.0, 70.0))
    out = tmp_path / "out.mkv"
    assert main(["process", str(clip), str(out), "--mode", "spoof-wave", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "shorter" not in err and "lasts 2.50 s but the video 3.00 s" in err and "\n" not in err
    assert not out.exists()
