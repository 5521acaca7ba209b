"""The de-identification editor: smooth, bounded fields; a change that is steady while the
face pulses; the per-frame warp (follows the face, nothing outside it moves); efficacy on
photos of people the settings were never chosen on; the combined mode in the real pipeline."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from privacycam.app.editors import make_editor
from privacycam.app.process import process_image
from privacycam.config import FilterConfig
from privacycam.editors.base import Editor, Plan, Window
from privacycam.editors.composite import SumPlan
from privacycam.editors.deid import DeidEditor, DeidPlan
from privacycam.editors.deid_apply import reshape_face
from privacycam.editors.deid_warp import WarpRefiner, oval_fade
from privacycam.face.canonical import CanonicalWarp
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD
from privacycam.identity.evaluate import evaluate_identity
from privacycam.identity.fidelity import high_frequency_share
from privacycam.io.sources import VideoFileSource
from privacycam.modes import parse_mode
from privacycam.rppg.heart_rate import bandpass
from privacycam.stream.pipeline import FilterPipeline

HELD_OUT_PEOPLE = ("biden", "rose_leslie")  # settings chosen on lp_d3 / lp_d12 only
CROP = 64


def _face_crop(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:CROP, 0:CROP]
    base = np.stack([90 + 40 * np.exp(-((xx - 32) ** 2 + (yy - 34) ** 2) / 600.0)] * 3, -1) * [0.8, 1.0, 1.3]
    base[18:24, 14:26] -= 50  # eyes and mouth: structure for the warp to move
    base[18:24, 38:50] -= 50
    base[46:50, 22:42] -= 40
    return np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.float32)


def test_fields_are_bounded_smooth_and_zero_outside_the_oval():
    refiner = WarpRefiner(steps=4, max_shift=2.0, max_tone=5.0, margin=5.0)  # a margin it cannot reach: bounds bind
    flow, tone = refiner.refine(np.repeat(_face_crop()[None], 4, axis=0))
    assert flow.shape == (CROP, CROP, 2) and tone.shape == (CROP, CROP, 3)
    assert 1.0 < np.abs(flow).max() <= 2.0 + 1e-5 and 1.0 < np.abs(tone).max() <= 5.0 + 1e-5
    fade = oval_fade()
    assert np.abs(flow[fade == 0]).max() == 0 and np.abs(tone[fade == 0]).max() == 0
    # smooth: neighbouring pixels differ by a small fraction of the field's range
    assert np.abs(np.diff(flow, axis=0)).max() < 0.25 * np.abs(flow).max()


def test_change_is_steady_while_the_face_pulses():
    """A 2-grey-level 72 bpm pulse on the crops leaves < 2% of its amplitude in the tone's pulse band."""
    editor, fps, seconds, every = DeidEditor(refine_steps=1), 30.0, 5.0, 15
    t = np.arange(int(seconds * fps)) / fps
    pulse = 2.0 * np.sin(2 * np.pi * 1.2 * t)
    crops = np.clip(_face_crop()[None] + pulse[:, None, None, None] * [0.3, 1.0, 0.5], 0, 255).astype(np.uint8)
    masks = np.ones((len(t), CROP, CROP), np.float32)
    means, shifts, plan = [], [], None
    for i in range(len(t)):
        if i % every == 0:
            start = max(0, i + 1 - int(8 * fps))
            plan = editor.plan(Window(crops[start : i + 1], masks[start : i + 1], t[start : i + 1]), parse_mode("deidentify"))
            assert isinstance(plan, DeidPlan) and plan.region == "face" and plan.flow is not None
        means.append(plan.edit_at(t[i], 0.0).mean(axis=(0, 1)))
        shifts.append(np.abs(plan.flow).mean())
    band = bandpass(np.asarray(means)[int(2 * fps) :, 1], fps)
    assert np.abs(band).max() < 0.02 * 2.0, np.abs(band).max()
    assert np.abs(bandpass(np.asarray(shifts)[int(2 * fps) :], fps)).max() < 0.02 * max(shifts)


def test_reshape_moves_the_structure_follows_the_face_and_leaves_the_rest(shared_data):
    """A rightward canonical shift moves the face's coarse structure by that shift along the
    face's x axis in frame pixels, for a rotated and scaled face too; the finer texture stays
    in place, so the change is smooth (little energy above a quarter of Nyquist, unlike
    moving the whole content); pixels outside the mask stay bit-identical."""
    from privacycam.face.landmarks import FaceTracker
    from privacycam.face.skin_mask import face_mask
    from privacycam.rppg.views import face_box

    image = cv2.imread(str(shared_data / "faces" / "obama" / "obama.jpg"))
    for angle in (0.0, 20.0):
        rotated = cv2.warpAffine(image, cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), angle, 0.8),
                                 image.shape[1::-1])
        tracker = FaceTracker(smooth=False)
        face = tracker.observe(rotated)
        tracker.close()
        box = face_box(face, rotated.shape)
        warp = CanonicalWarp.from_landmarks(face.landmarks, CROP)
        mask = face_mask(face.landmarks, box)
        flow = np.zeros((CROP, CROP, 2), np.float32)
        flow[..., 0] = 2.0  # canonical pixels
        out = reshape_face(rotated, flow, warp, box, mask)
        x0, y0, x1, y1 = box
        original = rotated[y0:y1, x0:x1]
        assert np.array_equal(out[mask == 0], original[mask == 0])
        # at a coarse scale, the output in the mask's core is the original sampled 2 canonical px along the face's x axis
        step = warp.to_frame[:, 0] * 2.0
        coarse = 1.5 * float(np.hypot(*warp.to_frame[:, 0]))  # 1.5 canonical px, in frame pixels
        changed = rotated.astype(np.float32)
        changed[y0:y1, x0:x1] = out
        before, after = (cv2.GaussianBlur(a, (0, 0), coarse) for a in (rotated.astype(np.float32), changed))
        ys, xs = np.nonzero(mask > 0.99)
        ys, xs = ys + y0, xs + x0
        expected = cv2.remap(before, (xs + step[0]).astype(np.float32)[None], (ys + step[1]).astype(np.float32)[None],
                             cv2.INTER_LINEAR)[0]
        assert np.abs(after[ys, xs] - expected).mean() < 1.0
        assert np.abs(after[ys, xs] - before[ys, xs]).mean() > 4.0
        smooth = high_frequency_share(out.astype(float) - original)
        whole = high_frequency_share(reshape_face(rotated, flow, warp, box, mask, sigma=0.0).astype(float) - original)
        assert smooth < 0.03 and smooth < 0.25 * whole, (smooth, whole)


def test_high_frequency_share_tells_noise_from_a_smooth_change():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:120, 0:100]
    smooth = np.repeat((8 * np.sin(xx / 15.0) * np.cos(yy / 20.0))[..., None], 3, axis=2)
    assert high_frequency_share(smooth) < 0.01
    assert high_frequency_share(rng.normal(0, 3, (120, 100, 3))) > 0.8


@pytest.mark.parametrize("people", [pytest.param(HELD_OUT_PEOPLE[:1], id="one"),
                                    pytest.param(HELD_OUT_PEOPLE, id="all", marks=pytest.mark.slow)])
def test_photos_of_people_never_tuned_on_no_longer_match(shared_data, tmp_path, people):
    """dlib matches every original to itself and no changed photo (the quick variant: one
    photo of one person; the slow one: every photo of both)."""
    originals, filtered = tmp_path / "original", tmp_path / "filtered"
    photos = [p for person in people for p in sorted((shared_data / "faces" / person).iterdir())]
    for photo in photos[:1] if len(people) == 1 else photos:
        person, name = photo.parent.name, photo.with_suffix(".png").name
        (originals / person).mkdir(parents=True, exist_ok=True)
        (filtered / person).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(originals / person / name), cv2.imread(str(photo)))
        result = process_image(photo, filtered / person / name, parse_mode("deidentify"), seconds=1.0)
        assert result.protected, result.reason
    count = 1 if len(people) == 1 else 4
    baseline = evaluate_identity(originals, originals)
    assert baseline.compared == count and baseline.match_rate == 1.0
    deid = evaluate_identity(originals, filtered)
    assert deid.compared == count and deid.match_rate == 0.0, deid.distances
    assert min(deid.found) > MATCH_THRESHOLD


def test_combined_mode_in_the_pipeline(shared_data):
    """deidentify+spoof-hr: the face reshaped (eyes and lips move too) plus a pulsing skin edit."""
    clip = shared_data / "clips" / "lp_d20.mp4"
    pipeline = FilterPipeline(make_editor("auto"), parse_mode("deidentify+spoof-hr", 90), FilterConfig(asynchronous=False, refine_steps=0))
    results, frames = [], []
    with VideoFileSource(clip) as source:
        for frame in source:
            if frame.index >= 50:
                break
            frames.append(frame.image)
            results.append(pipeline.process(frame))
    plan = pipeline._planner.latest()
    pipeline.close()
    assert isinstance(plan, SumPlan) and plan.region == "face" and plan.flow is not None
    assert sum(r.protected for r in results) >= 40
    last = results[-1]
    x0, y0, x1, y1 = last.box
    diff = np.abs(last.image.astype(float) - frames[-1].astype(float))[y0:y1, x0:x1].mean(axis=2)
    assert diff[last.mask > 0.9].mean() > 1.0
    assert not diff[last.mask == 0].any()  # nothing outside the face oval changes
    edits = np.array([plan.edit_at(s, d).mean() for s, d in [(0, -1.0), (0, 1.0)]])
    assert abs(edits[1] - edits[0]) > 0.1  # the pulse drive moves the summed edit


def test_refined_combined_plan_keeps_the_reshape():
    """Refine wraps the summed plan of deidentify+spoof: the face's displacement rides along."""
    from privacycam.editors.refine import RefinedPlan

    flow = np.ones((CROP, CROP, 2), np.float32)
    identity = DeidPlan(1.0, np.zeros((CROP, CROP, 3), np.float32), flow)
    refined = RefinedPlan(identity, np.ones(3, np.float32), np.zeros(3, np.float32), None)
    assert refined.flow is flow and refined.region == "face"


class _FixedReshape(Editor):
    """deidentify: one constant displacement (3 canonical px to the right); other modes: no change."""

    name = "fixed-reshape"
    min_window_s = 0.0

    def plan(self, window: Window, mode) -> Plan:
        size = window.crops.shape[1]
        zeros = np.zeros((size, size, 3), np.float32)
        flow = np.zeros((size, size, 2), np.float32)
        flow[..., 0] = 3.0
        made_at = float(window.timestamps[-1])
        return DeidPlan(made_at, zeros, flow) if mode.deidentify else DeidPlan(made_at, zeros, None, region="skin")


def test_a_mode_switch_fades_the_reshape_out_over_the_seam(shared_data):
    """From deidentify to spoof-hr the face's displacement fades over ``crossfade_frames``
    (cross-faded like the edit), instead of the face snapping back in one frame."""
    config = FilterConfig(asynchronous=False, refine_steps=0, crossfade_frames=6)
    pipeline = FilterPipeline(_FixedReshape(), parse_mode("deidentify"), config)
    change = []
    with VideoFileSource(shared_data / "clips" / "evm_face.mp4") as source:
        for index, frame in zip(range(40), source):
            if index == 20:
                pipeline.set_mode(parse_mode("spoof-hr", 90))
            result = pipeline.process(frame)
            change.append(float(np.abs(result.image.astype(float) - frame.image).mean()))
    pipeline.close()
    reshaped, after = np.mean(change[10:20]), change[20:]
    assert reshaped > 0.05
    fading = np.array(after[:6])
    assert np.all(np.diff(fading) < 0) and fading[0] > 0.5 * reshaped, change  # a ramp down, not a step
    assert max(after[8:]) < 0.02 * reshaped, change  # then gone
