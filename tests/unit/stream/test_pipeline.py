"""The per-frame path with the real MediaPipe face mesh, on generated frames."""

import numpy as np
import pytest

from privacycam.config import FilterConfig
from privacycam.editors.spectral import SpectralEditor
from privacycam.frames import Frame
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode
from privacycam.stream.ladder import FAIL_SAFE, REUSE_LANDMARKS
from privacycam.stream.pipeline import FilterPipeline

from pipeline_checks import assert_only_skin_changed


def _frames(n=90, width=640, height=480):
    return list(SyntheticSource(width, height, 30.0, frames=n))


def _pipeline(mode="spoof-hr", bpm=90.0, **config):
    return FilterPipeline(SpectralEditor(), parse_mode(mode, bpm), FilterConfig(asynchronous=False, refine_steps=0, **config))


@pytest.fixture(scope="module")
def frames():
    return _frames()


def test_only_skin_pixels_change_and_edits_are_small(frames):
    pipeline = _pipeline()
    protected = 0
    for frame in frames:
        result = pipeline.process(frame)
        diff = result.image.astype(int) - frame.image.astype(int)
        if not result.protected:
            if result.reason == "no face":
                assert not diff.any()
            else:  # a missed detection of a tracked face: fail-safe, never the unprotected frame
                assert result.reason.startswith("face lost") and result.failsafe
            continue
        protected += 1
        assert_only_skin_changed(frame, result)
    pipeline.close()
    # every frame with a face is protected, from the first one on (inject-only planning)
    stats = pipeline.stats()
    assert protected == stats.frames_protected >= len(frames) - 3


def test_causal_output_does_not_depend_on_future_frames(frames):
    first = _pipeline()
    a = [first.process(f).image for f in frames[:60]]
    second = _pipeline()
    changed = frames[:40] + [Frame(np.zeros_like(f.image), f.index, f.timestamp) for f in frames[40:60]]
    b = [second.process(f).image for f in changed]
    for i in range(40):
        assert np.array_equal(a[i], b[i]), f"frame {i} changed when later frames changed"
    first.close()
    second.close()


def test_mode_switch_keeps_every_frame_and_target_phase_continuous(frames):
    pipeline = _pipeline(bpm=60)
    phases = []
    for i, frame in enumerate(frames):
        if i == 30:
            pipeline.set_mode(parse_mode("spoof-hr", 120))
        if i == 60:
            pipeline.set_mode(parse_mode("erase"))
        pipeline.process(frame)
        phases.append(pipeline.target_phase)
    stats = pipeline.stats()
    assert stats.frames_out == stats.frames_in == len(frames)
    assert stats.frames_dropped == 0
    steps = np.diff(phases)
    assert steps.min() > 0 and steps.max() < 2.5 / 30
    assert stats.mode == "erase"
    pipeline.close()


def test_off_mode_is_bit_exact_passthrough(frames):
    pipeline = _pipeline("off", None)
    for frame in frames[:10]:
        out = pipeline.process(frame)
        assert np.array_equal(out.image, frame.image) and not out.protected
    pipeline.close()


def test_bad_frames_flow_through_with_reasons():
    pipeline = _pipeline()
    blank = np.zeros((480, 640, 3), np.uint8)
    out = pipeline.process(Frame(blank, 0, 0.0))
    assert out.reason == "no face" and out.image.shape == blank.shape
    gray = pipeline.process(Frame(np.full((480, 640), 128, np.uint8), 1, 1 / 30))
    assert gray.image.shape == (480, 640, 3)
    bgra = pipeline.process(Frame(np.full((480, 640, 4), 200, np.uint8), 2, 2 / 30))
    assert bgra.image.shape == (480, 640, 3)
    resized = _frames(3, 320, 240)
    out = pipeline.process(Frame(resized[0].image, 3, 3 / 30))
    assert out.image.shape == (240, 320, 3)
    assert pipeline.stats().events["frame size changed"] == 1
    weird = pipeline.process(Frame(np.zeros((4, 4, 7), np.uint8), 4, 4 / 30))
    assert weird.reason == "unusable frame"
    stats = pipeline.stats()
    assert stats.frames_out == stats.frames_in == 5
    assert stats.events["no face"] >= 2
    pipeline.close()


def test_overload_levels_reuse_face_then_fail_safe(frames):
    pipeline = _pipeline(on_failure="blur")
    for frame in frames[:5]:
        pipeline.process(frame)
    reused = pipeline.process(frames[5], load=REUSE_LANDMARKS)
    assert reused.protected
    failsafe = pipeline.process(frames[6], load=FAIL_SAFE)
    assert not failsafe.protected and failsafe.reason.startswith("over budget")
    events = pipeline.stats().events
    assert events["overload: reused landmarks"] == 1 and events["overload: fail-safe"] == 1
    pipeline.close()
