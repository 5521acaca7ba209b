"""The de-identification editor: shapes, a steady edit (nothing in the pulse band), ONNX
parity, efficacy on held-out photos (people never seen in training), and the combined
``deidentify+spoof-hr`` mode in the real pipeline."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from privacycam.backends.export import check_parity
from privacycam.editors.base import Window
from privacycam.editors.composite import SumPlan
from privacycam.editors.deid import REFINE_GRID, DeidEditor, DeidPlan, load_net, shipped_model
from privacycam.editors.deid_net import CROP, GRID
from privacycam.editors.deid_refine import IdentityRefiner
from privacycam.face.skin_mask import skin_mask
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD
from privacycam.identity.evaluate import evaluate_identity
from privacycam.io.sources import VideoFileSource
from privacycam.modes import parse_mode
from privacycam.options import make_editor
from privacycam.process import process_image
from privacycam.rppg.heart_rate import bandpass
from privacycam.stream.pipeline import FilterPipeline, PipelineConfig

HELD_OUT_PEOPLE = ("biden", "rose_leslie")  # never in training (see DEID_EDITOR.md)


@pytest.fixture(scope="module")
def editor() -> DeidEditor:
    return DeidEditor()


def _face_crop(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:CROP, 0:CROP]
    base = np.stack([90 + 40 * np.exp(-((xx - 32) ** 2 + (yy - 34) ** 2) / 600.0)] * 3, -1) * [0.8, 1.0, 1.3]
    return np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.float32)


def test_shapes_and_plan(editor):
    with torch.no_grad():
        out = load_net()(torch.rand(2, 3, CROP, CROP) * 255)
    assert out.shape == (2, 3, GRID, GRID)
    crops = np.repeat(_face_crop()[None], 20, axis=0).astype(np.uint8)
    window = Window(crops, np.ones((20, CROP, CROP), np.float32), np.arange(20) / 30.0)
    plan = editor.plan(window, parse_mode("deidentify"))
    assert isinstance(plan, DeidPlan) and plan.region == "face"
    edit = plan.edit_at(1.0, 0.5)
    assert edit.shape == (REFINE_GRID, REFINE_GRID, 3) and edit.dtype == np.float32 and np.abs(edit).max() > 1.0


def test_refiner_holds_the_edit_under_its_rms_cap():
    """L2-normalised steps grow the edit towards the margin; the cap (face-oval RMS) stops it."""
    crops = np.repeat(_face_crop()[None], 4, axis=0)
    sizes = {}
    for cap in (None, 3.0):
        refiner = IdentityRefiner(steps=3, lr=4.0, margin=5.0, optimizer="l2", rms_cap=cap)
        refiner.reset(np.random.default_rng(0).normal(0, 0.5, (REFINE_GRID, REFINE_GRID, 3)).astype(np.float32))
        edit = refiner.refine(crops)
        assert edit.shape == (REFINE_GRID, REFINE_GRID, 3)
        sizes[cap] = refiner.edit_rms()
    assert sizes[None] > 6.0, sizes  # 3 steps of 4 grey levels RMS, unconstrained
    assert 2.9 < sizes[3.0] <= 3.0 + 1e-4, sizes


def test_edit_is_steady_while_the_face_pulses():
    """A 2-grey-level 72 bpm pulse on the crops leaves < 2% of its amplitude in the edit's pulse band."""
    editor, fps, seconds, every = DeidEditor(), 30.0, 9.0, 10
    t = np.arange(int(seconds * fps)) / fps
    pulse = 2.0 * np.sin(2 * np.pi * 1.2 * t)
    crops = np.clip(_face_crop()[None] + pulse[:, None, None, None] * [0.3, 1.0, 0.5], 0, 255).astype(np.uint8)
    masks = np.ones((len(t), CROP, CROP), np.float32)
    means, plan = [], None
    for i in range(len(t)):
        if i % every == 0:
            start = max(0, i + 1 - int(8 * fps))
            plan = editor.plan(Window(crops[start : i + 1], masks[start : i + 1], t[start : i + 1]), parse_mode("deidentify"))
        means.append(plan.edit_at(t[i], 0.0).mean(axis=(0, 1)))
    band = bandpass(np.asarray(means)[int(2 * fps):, 1], fps)  # green channel, after the first plans
    assert np.abs(band).max() < 0.02 * 2.0, np.abs(band).max()


def test_onnx_runtime_matches_torch():
    feeds = {"crop": (np.random.default_rng(0).uniform(0, 255, (3, 3, CROP, CROP))).astype(np.float32)}
    parity = check_parity(load_net(), shipped_model("onnx"), feeds, tolerance=1e-3)
    assert parity.ok, parity.max_abs_diff


def test_held_out_photos_no_longer_match(shared_data, tmp_path):
    """People the editor never saw: dlib matches every original to itself, no filtered photo,
    at a whole-photo PSNR of at least 35 dB."""
    originals, filtered = tmp_path / "original", tmp_path / "filtered"
    for person in HELD_OUT_PEOPLE:
        for photo in sorted((shared_data / "faces" / person).iterdir()):
            (originals / person).mkdir(parents=True, exist_ok=True)
            (filtered / person).mkdir(parents=True, exist_ok=True)
            name = photo.with_suffix(".png").name
            cv2.imwrite(str(originals / person / name), cv2.imread(str(photo)))
            result = process_image(photo, filtered / person / name, parse_mode("deidentify"), seconds=1.0)
            assert result.protected, result.reason
            mse = np.mean((cv2.imread(str(filtered / person / name)).astype(float) - cv2.imread(str(photo)).astype(float)) ** 2)
            assert 10 * np.log10(255**2 / mse) >= 35.0, (name, mse)  # whole-photo PSNR target
    baseline = evaluate_identity(originals, originals)
    assert baseline.compared == 4 and baseline.match_rate == 1.0
    deid = evaluate_identity(originals, filtered)
    assert deid.compared == 4 and deid.match_rate == 0.0, deid.distances
    assert min(deid.found) > MATCH_THRESHOLD


def test_combined_mode_in_the_pipeline(evm_clip):
    """deidentify+spoof-hr: identity edit over the whole face (eyes too) plus a pulsing skin edit."""
    pipeline = FilterPipeline(make_editor("auto"), parse_mode("deidentify+spoof-hr", 90), PipelineConfig(asynchronous=False))
    results, frames = [], []
    with VideoFileSource(evm_clip) as source:
        for frame in source:
            if frame.index >= 75:
                break
            frames.append(frame.image)
            results.append(pipeline.process(frame))
    plan = pipeline._planner.latest()
    pipeline.close()
    assert isinstance(plan, SumPlan) and plan.region == "face"
    assert sum(r.protected for r in results) >= 60
    last = results[-1]
    x0, y0, x1, y1 = last.box
    diff = np.abs(last.image.astype(float) - frames[-1].astype(float))[y0:y1, x0:x1].mean(axis=2)
    face, skin = last.mask, skin_mask(pipeline._last_face.landmarks, last.box)
    outside_skin = (face > 0.9) & (skin < 0.01)  # eyes, brows, lips
    assert outside_skin.sum() > 100 and diff[outside_skin].mean() > 1.0
    assert not diff[face == 0].any()  # nothing outside the face oval changes
    edits = np.array([plan.edit_at(s, d).mean() for s, d in [(0, -1.0), (0, 1.0)]])
    assert abs(edits[1] - edits[0]) > 0.1  # the pulse drive moves the summed edit
