"""``privacycam eval`` and its metrics on the real clip with a known pulse injected."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from rppg_clips import inject_pulse, write_ffv1

from privacycam.errors import PrivacyCamError, VideoInputError
from privacycam.evaluation import command, metrics
from privacycam.evaluation.report import evaluate
from privacycam.pulse.target import synthetic_ppg
from privacycam.rppg.base import Estimator
from privacycam.rppg.heart_rate import heart_rate
from privacycam.rppg.roi import detect_face, open_video
from privacycam.torch_threads import usable_cores

CLASSICAL = ["green", "chrom", "pos", "lgi", "pbv", "ica", "omit"]
EVM_BPM = 53.5
TARGET = 90.0


def cli(*argv: str) -> tuple[int, str]:
    """Run ``privacycam eval ARGV`` through its own parser; (exit code, stdout)."""
    parser = argparse.ArgumentParser(prog="privacycam")
    command.register(parser.add_subparsers())
    args = parser.parse_args(["eval", *argv])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = args.func(args)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def evm_frames(evm_clip: Path) -> np.ndarray:
    _, frames = open_video(evm_clip)
    return np.stack(list(frames))


@pytest.fixture(scope="module")
def spoofed(evm_frames: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, float]:
    """evm_face with a 90-bpm PPG (about 2.5 grey levels) added in the face: (lossless file, frames, pulse HR)."""
    pulse = synthetic_ppg(len(evm_frames) / 30.0, 30.0, TARGET, seed=7)
    box = detect_face(evm_frames[0], enlarge=1.0)
    frames = inject_pulse(evm_frames, box, pulse, amplitude=0.02)
    path = write_ffv1(tmp_path_factory.mktemp("eval") / "spoofed.mkv", frames, 30.0)
    return path, frames, heart_rate(pulse, 30.0)


@pytest.fixture(scope="module")
def eval_run(evm_clip: Path, spoofed, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict, Path]:
    out_dir = tmp_path_factory.mktemp("report")
    json_path = out_dir / "numbers" / "eval.json"
    code, text = cli(str(evm_clip), str(spoofed[0]), "--target", str(TARGET), "--out", str(out_dir),
                     "--estimators", ",".join(CLASSICAL), "--json", str(json_path))
    return code, text, json.loads(json_path.read_text()), out_dir


def test_eval_prints_a_table_of_every_estimator(eval_run) -> None:
    code, text, _, _ = eval_run
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["estimator", "family", "HR", "orig"]
    rows = {line.split()[0]: line.split() for line in lines[2 : 2 + len(CLASSICAL)]}
    assert sorted(rows) == sorted(CLASSICAL)
    assert all(row[1] == "classical" for row in rows.values())
    assert "PSNR" in text and "SSIM" in text


def test_eval_reads_the_real_pulse_before_and_the_injected_one_after(eval_run, spoofed) -> None:
    _, _, report, _ = eval_run
    truth = spoofed[2]
    assert report["frames"] == 301 and report["fps"] == 30.0 and report["target_bpm"] == TARGET
    assert [e["name"] for e in report["estimators"]] == CLASSICAL
    for e in report["estimators"]:
        assert e["hr_original"] == pytest.approx(EVM_BPM, abs=2.0), e
        assert e["hr_filtered"] == pytest.approx(truth, abs=1.0), e
        assert e["target_mae"] == pytest.approx(abs(np.mean(e["windows_filtered"]) - TARGET))
        assert e["target_mae"] <= 3.0 and e["within_target"] == 1.0
        assert e["within_original"] == 0.0  # the real pulse is no longer what they read
        assert e["snr_filtered_db"] < 0.0 < e["snr_original_db"]
        assert abs(e["pearson_r"]) < 0.6
        assert len(e["window_times_s"]) == len(e["windows_original"]) == len(e["windows_filtered"]) == 1


def test_eval_fidelity_matches_a_direct_computation(eval_run, evm_frames, spoofed) -> None:
    _, _, report, _ = eval_run
    frames = spoofed[1]
    starts = [window[0] for window in report["face_boxes"]]
    assert starts[0] == 0 and starts == sorted(starts)
    boxes = [report["face_boxes"][np.searchsorted(starts, i, side="right") - 1][1:] for i in range(len(frames))]
    frame_mse, face_mse = [], []  # per frame, so that no copy of the whole clip is held
    for o, f, (x, y, w, h) in zip(evm_frames, frames, boxes):
        sq = (f.astype(np.int32) - o) ** 2
        frame_mse.append(sq.mean())
        face_mse.append(sq[y : y + h, x : x + w].mean())
    fidelity = report["fidelity"]
    assert fidelity["psnr_db"] == pytest.approx(10 * math.log10(255**2 / np.mean(frame_mse)), abs=1e-6)
    face_mse = np.mean(face_mse)
    assert fidelity["psnr_face_db"] == pytest.approx(10 * math.log10(255**2 / face_mse), abs=1e-6)
    assert fidelity["psnr_face_db"] < fidelity["psnr_db"]  # the edit is inside the face
    assert 0.99 < fidelity["ssim"] < 1.0 and 0.99 < fidelity["ssim_face"] < 1.0
    assert fidelity["max_abs_diff"] == max(int(np.abs(f.astype(int) - o).max()) for o, f in zip(evm_frames, frames))


def test_eval_writes_plots(eval_run) -> None:
    _, _, _, out_dir = eval_run
    names = [f"estimator_{n}.png" for n in CLASSICAL] + ["hr_windows.png", "edit_heatmap.png"]
    for name in names:
        image = cv2.imread(str(out_dir / name))
        assert image is not None and image.shape[0] > 300 and image.std() > 10, name
    assert not (out_dir / "report.json").exists()  # --json chose another path


@pytest.fixture(scope="module")
def excerpt(evm_frames: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 4 s of evm_face, lossless."""
    return write_ffv1(tmp_path_factory.mktemp("excerpt") / "excerpt.mkv", evm_frames[:120], 30.0)


def test_unchanged_video_reads_identical(excerpt: Path) -> None:
    result = evaluate(excerpt, excerpt, estimators=["pos", "chrom"], ssim_frames=4)
    assert math.isinf(result.fidelity.psnr_db) and result.fidelity.ssim == pytest.approx(1.0)
    for e in result.estimators:
        assert e.hr_filtered == e.hr_original and e.pearson_r == pytest.approx(1.0) and e.within_original == 1.0
        assert e.target_mae is None and e.within_target is None
    summary = result.to_json()
    assert summary["fidelity"]["psnr_db"] is None  # inf is not JSON
    json.dumps(summary, allow_nan=False)
    assert "MAE" not in result.table()


class _ThreadCounter(Estimator):
    """GREEN's mean, recording how many torch threads it was run with."""

    name = "thread-counter"

    def __init__(self) -> None:
        self.threads: list[int] = []

    def waveform(self, faces: np.ndarray, fps: float) -> np.ndarray:
        self.threads.append(torch.get_num_threads())
        return faces[..., 1].mean(axis=(1, 2)).astype(np.float64)


def test_estimators_run_on_every_core_even_after_an_editor_pinned_torch_to_one(excerpt: Path) -> None:
    counter, before = _ThreadCounter(), torch.get_num_threads()
    torch.set_num_threads(1)  # what refine and the de-identification search do, process-wide
    try:
        evaluate(excerpt, excerpt, estimators=[counter], ssim_frames=2)
        assert counter.threads == [usable_cores()] * 2 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_frame_count_mismatch_is_a_clear_error(evm_frames: np.ndarray, excerpt: Path, tmp_path: Path) -> None:
    shorter = write_ffv1(tmp_path / "shorter.mkv", evm_frames[:30], 30.0)
    with pytest.raises(VideoInputError, match=r"frame counts differ: .*shorter.mkv ends at frame 30"):
        evaluate(excerpt, shorter, estimators=["pos"])
    with pytest.raises(VideoInputError, match=r"frame counts differ: .*shorter.mkv ends at frame 30"):
        evaluate(shorter, excerpt, estimators=["pos"])


def test_missing_inputs_are_clear_errors(evm_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(VideoInputError, match="cannot open"):
        evaluate(evm_clip, tmp_path / "nothing.mkv", estimators=["pos"])
    with pytest.raises(PrivacyCamError, match="ORIGINAL and FILTERED"):
        cli(str(evm_clip))


def test_attackers_lists_estimators_with_their_family() -> None:
    code, text = cli("--attackers")
    listed = dict(line.split() for line in text.splitlines())
    assert code == 0
    assert all(listed[name] == "classical" for name in CLASSICAL)
    assert set(listed.values()) <= {"classical", "project", "published-surrogate"}


def test_image_metrics() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    b = a.copy()
    b[10:20, 10:20] = np.clip(b[10:20, 10:20].astype(int) + 4, 0, 255).astype(np.uint8)
    mask = np.zeros((40, 50), bool)
    mask[10:20, 10:20] = True
    changed = (b.astype(int) - a)[mask]
    assert metrics.psnr(a, b, mask) == pytest.approx(10 * math.log10(255**2 / np.mean(changed**2)))
    assert metrics.psnr(a, b) == pytest.approx(10 * math.log10(255**2 / (np.sum(changed**2) / a.size)))
    assert math.isinf(metrics.psnr(a, a))
    assert metrics.ssim(a, a) == pytest.approx(1.0)
    assert metrics.ssim(a, b, ~mask) > metrics.ssim(a, b, mask)


def test_signal_metrics() -> None:
    x = np.sin(np.linspace(0, 20, 200))
    assert metrics.pearson(x, 3 * x + 1) == pytest.approx(1.0)
    assert metrics.pearson(x, -x) == pytest.approx(-1.0)
    assert math.isnan(metrics.pearson(x, np.ones(200)))
    assert metrics.mae([88.0, 91.0, 95.0], 90.0) == pytest.approx(8 / 3)
    assert metrics.share_within([88.0, 91.0, 95.0], 90.0, 3.0) == pytest.approx(2 / 3)
    assert metrics.share_within([50.0, 60.0], np.array([52.0, 70.0]), 5.0) == 0.5
    stats = metrics.latency_stats(np.arange(1, 101, dtype=float))
    assert stats["median_ms"] == pytest.approx(50.5) and stats["p95_ms"] == pytest.approx(95.05)
    assert stats["p99_ms"] == pytest.approx(99.01) and stats["max_ms"] == 100.0
