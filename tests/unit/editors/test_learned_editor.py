"""The learned pulse editor: shapes, causality, ONNX parity, the real pipeline, efficacy on
the held-out clip evm_face.mp4."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from privacycam.app.editors import make_editor
from privacycam.app.process import process_file
from privacycam.backends.export import check_parity
from privacycam.config import FilterConfig
from privacycam.editors.base import Window
from privacycam.editors.learned import LearnedEditor, LearnedPlan, example_feeds, load_net, shipped_model
from privacycam.editors.pulse_net import CYCLES_PER_FRAME, GRID, HORIZON, WINDOW, window_features
from privacycam.editors.spectral import SpectralPlan
from privacycam.evaluation.report import evaluate
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode
from privacycam.stream.pipeline import FilterPipeline
from privacycam.train.simulate import stream_edits

from pipeline_checks import assert_only_skin_changed

ERASE_MAX_ABS_R = 0.2  # the erase target for every estimator


@pytest.fixture(scope="module")
def net():
    return load_net()


def test_output_shapes_and_short_window_padding(net):
    feeds = example_feeds(2)
    with torch.no_grad():
        cancel, inject, cycles = net(torch.from_numpy(feeds["x"]), torch.from_numpy(feeds["level"]))
    assert cancel.shape == (2, HORIZON, 3, GRID, GRID)
    assert inject.shape == (2, 2, 3, GRID, GRID)
    assert ((cycles >= CYCLES_PER_FRAME[0]) & (cycles <= CYCLES_PER_FRAME[1])).all()
    cells = np.full((10, GRID, GRID, 3), 120.0)
    cells[:, 0, 0, 1] = 120.0 + np.arange(10)  # one cell's green rises frame by frame
    x, level = window_features(cells, np.ones((10, GRID, GRID)))
    assert x.shape == (1, WINDOW, GRID, GRID, 4) and level.shape == (1, 3, GRID, GRID)
    # a short history is padded with its oldest frame, covered, as the network saw in training
    assert (x[0, : WINDOW - 9] == x[0, 0]).all() and (x[0, ..., 3] == 1).all()
    assert x[0, 0, 0, 0, 1] < 0 < x[0, -1, 0, 0, 1] and np.all(np.diff(x[0, WINDOW - 10 :, 0, 0, 1]) > 0)


def test_streamed_plans_never_use_frames_after_their_window(net):
    rng = np.random.default_rng(0)
    history, length, size = WINDOW + 10, 60, 32
    crops = torch.from_numpy(rng.uniform(60, 200, (1, history + length, 3, size, size)).astype(np.float32))
    masks = torch.ones(1, history + length, size, size)
    drive = torch.from_numpy(rng.standard_normal((1, history + length)).astype(np.float32))
    with torch.no_grad():
        before = stream_edits(net, crops, masks, drive, torch.tensor([1]))
        changed = crops.clone()
        cut = history + 25
        changed[:, cut:] = torch.flip(changed[:, cut:], dims=[-1]) * 0.9
        after = stream_edits(net, changed, masks, drive, torch.tensor([1]))
    assert torch.equal(before[:, : cut - history], after[:, : cut - history])
    assert not torch.equal(before[:, cut - history :], after[:, cut - history :])


def test_onnx_runtime_matches_torch(net):
    parity = check_parity(net, shipped_model("onnx"), example_feeds(3), tolerance=1e-4)
    assert parity.ok, parity.max_abs_diff


def test_learned_editor_in_the_real_pipeline():
    editor = LearnedEditor()
    assert editor.backend == "onnxruntime-cpu"
    pipeline = FilterPipeline(editor, parse_mode("spoof-hr", 90), FilterConfig(asynchronous=False, refine_steps=0))
    frames = list(SyntheticSource(640, 480, 30.0, frames=120))
    protected, changed = 0, 0
    for frame in frames:
        result = pipeline.process(frame)
        if result.protected:
            protected += 1
            changed += assert_only_skin_changed(frame, result)
    pipeline.close()
    assert protected >= len(frames) - 3 and changed >= protected - 3
    assert pipeline.stats().plans_made >= len(frames) // 10 - 1


def _noise_window(seed: int, frames: int = 90) -> Window:
    """3 s of 64x64 crops of random skin-like colour, all skin, at 30 fps."""
    crops = np.random.default_rng(seed).integers(100, 160, (frames, 64, 64, 3)).astype(np.uint8)
    return Window(crops, np.ones((frames, 64, 64), np.float32), np.arange(frames) / 30.0)


def test_the_default_editor_spoofs_with_the_learned_editor_and_erases_with_the_spectral_one():
    """``--editor auto``: per mode the editor that measures best with refine on (docs/benchmarks.md,
    "Erase"), switched with the mode, no new editor."""
    editor = make_editor("auto")
    window = _noise_window(seed=0)
    assert isinstance(editor.plan(window, parse_mode("spoof-hr", 90.0)), LearnedPlan)
    assert isinstance(editor.plan(window, parse_mode("erase")), SpectralPlan)
    assert isinstance(editor.plan(window, parse_mode("spoof-hr", 60.0)), LearnedPlan)
    assert editor.backend == "onnxruntime-cpu" and editor.name == "learned (spoof-hr), spectral (erase)"


def test_inject_gain_scales_the_injection_and_leaves_the_cancellation():
    """``learned*k`` in ``benchmarks/editor_comparison.py``: the refine-off baseline, louder."""
    window = _noise_window(seed=1)
    mode = parse_mode("spoof-hr", 90.0)
    plain, louder = LearnedEditor().plan(window, mode), LearnedEditor(inject_gain=2.5).plan(window, mode)
    assert np.abs(plain.inject).max() > 0
    np.testing.assert_allclose(louder.inject, 2.5 * plain.inject, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(louder.cancel, plain.cancel)


def _filtered_evm(evm_clip, tmp_path, mode, bpm, estimators):
    """The learned editor alone (refine off): what the shipped model does by itself."""
    out = tmp_path / "filtered.mkv"
    process_file(
        evm_clip, out, parse_mode(mode, bpm), FilterConfig(on_failure="passthrough", refine_steps=0), "learned",
        progress=False,
    )
    result = evaluate(evm_clip, out, target_bpm=bpm, estimators=estimators)
    assert result.fidelity.psnr_db >= 45.0 and result.fidelity.ssim >= 0.99
    return {e.name: e for e in result.estimators}


def test_spoof_on_held_out_evm_clip(evm_clip, tmp_path):
    """What the shipped model achieves on the held-out clip (GREEN, PBV, PhysNet read the
    target); CHROM, POS, LGI, OMIT, TS-CAN still read the real pulse there (PULSE_EDITOR.md)."""
    read = _filtered_evm(evm_clip, tmp_path, "spoof-hr", 120.0, ["green", "pbv", "physnet"])
    assert all(abs(e.hr_filtered - 120.0) <= 3.0 for e in read.values()), {n: e.hr_filtered for n, e in read.items()}


@pytest.mark.slow  # erase ships the spectral editor; this records why not the learned one
@pytest.mark.xfail(strict=True, reason="erase target not met by the learned editor alone: erase |r| 0.37-0.80 on evm_face (PULSE_EDITOR.md)")
def test_erase_meets_the_target_on_held_out_evm_clip(evm_clip, tmp_path):
    read = _filtered_evm(evm_clip, tmp_path, "erase", None, ["green", "chrom", "pos", "lgi"])
    assert max(abs(e.pearson_r) for e in read.values()) <= ERASE_MAX_ABS_R


def test_a_louder_plan_scales_the_injection_and_keeps_the_cancellation():
    rng = np.random.default_rng(0)
    plan = LearnedPlan(1.0, 30.0, rng.normal(size=(4, 8, 8, 3)).astype(np.float32), rng.normal(size=(8, 8, 3)).astype(np.float32))
    louder = plan.louder(2.5)
    for timestamp in (1.0, 1.0 + 2 / 30, 2.0):  # a cancelled frame, another, one past the forecast
        cancelled = plan.edit_at(timestamp, 0.0)
        assert np.allclose(louder.edit_at(timestamp, 0.0), cancelled)
        assert np.allclose(louder.edit_at(timestamp, 0.8) - cancelled, 2.5 * (plan.edit_at(timestamp, 0.8) - cancelled), atol=1e-5)
    assert louder.cancel is plan.cancel and np.allclose(louder.inject, 2.5 * plan.inject)
