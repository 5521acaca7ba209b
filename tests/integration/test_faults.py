"""Faults in the live path. Each test injects one, then checks that the stream went on, what
the user was told and the counters. Real MediaPipe, pipeline, runner and camera source; only
the camera device is faked (a thin ``cv2.VideoCapture`` stand-in: none exists here)."""

from __future__ import annotations

import logging
import math
import os
import time

import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from privacycam.cli import main
from privacycam.config import FilterConfig
from privacycam.editors.spectral import SpectralEditor
from privacycam.errors import VideoInputError
from privacycam.face.landmarks import FaceTracker
from privacycam.frames import Frame, ProcessedFrame, as_bgr
from privacycam.io.sources import CameraSource, SyntheticSource
from privacycam.modes import parse_mode
from privacycam.stream.ladder import FAIL_SAFE, NORMAL, OverloadLadder
from privacycam.stream.pipeline import FACE_LOST_GRACE_S, FilterPipeline
from privacycam.stream.runner import StreamRunner

FACE = SyntheticSource(640, 480, frames=1).render(0.0)  # the astronaut on a grey background


def _pipeline(asynchronous: bool = False, **config) -> FilterPipeline:
    return FilterPipeline(SpectralEditor(), parse_mode("spoof-hr", 90.0), FilterConfig(asynchronous=asynchronous, refine_steps=0, **config))


def _assert_only_skin_changed(original: np.ndarray, result: ProcessedFrame) -> None:
    """A protected frame differs from its input only under the skin mask and the halo."""
    assert result.protected and result.image.shape == original.shape
    outside = ~result.editable()
    assert np.array_equal(result.image[outside], original[outside])


class ListSink:
    def __init__(self) -> None:
        self.images: list[np.ndarray] = []

    def write(self, image: np.ndarray) -> None:
        self.images.append(image)


class FakeCapture:
    """A camera device: ``frames`` good reads paced at ``fps`` (None: endless), then reads
    fail as when the camera is unplugged; ``opened=False``: the device is gone or busy."""

    def __init__(self, frames: int | None = None, opened: bool = True, fps: float = 30.0) -> None:
        self.frames_left = frames
        self.opened = opened
        self.fps = fps

    def isOpened(self) -> bool:
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        return False

    def get(self, prop: int) -> float:
        return self.fps if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.frames_left is not None:
            if self.frames_left <= 0:
                return False, None
            self.frames_left -= 1
        time.sleep(1 / self.fps)
        return True, FACE.copy()

    def release(self) -> None:
        self.opened = False


# ----------------------------------------------------------------- camera


def test_camera_unplugged_and_replugged_stream_resumes():
    # a 15-fps camera: this test is about the reconnect, so it leaves a loaded machine headroom
    devices = iter([FakeCapture(40, fps=15), FakeCapture(opened=False), FakeCapture(opened=False), FakeCapture(fps=15)])
    told: list[tuple[str, str]] = []
    source = CameraSource(0, opener=lambda device: next(devices), retry_delay=0.02, on_status=lambda *s: told.append(s))
    pipeline = _pipeline(fps=15.0)
    sent: list[tuple[int, ProcessedFrame]] = []

    def on_frame(frame: Frame, result: ProcessedFrame) -> None:
        sent.append((frame.index, result))
        if len(sent) >= 130:
            runner.stop()

    runner = StreamRunner(source, pipeline, ListSink(), on_frame=on_frame)
    report = runner.run()
    pipeline.close()
    assert report.error == ""
    assert source.reconnects == 1 and source.status == "closed"
    messages = [message for _, message in told]
    assert "camera 0 stopped delivering frames; reconnecting" in messages
    assert sum("reconnect attempt" in m and "failed" in m for m in messages) == 2
    assert "camera 0 reconnected after 3 attempt(s)" in messages
    # Frames before and after the gap were sent in order and protection resumed. A stall of
    # this machine (a loaded CI host) is the one other thing allowed, and only as the overload
    # ladder handles it (tested on its own below): a frame dropped from a full queue is
    # counted, and a fail-safe frame says "over budget". The ladder stays up for 30 on-time
    # frames; 90 frames after the gap are enough to see it come down.
    indices = [index for index, _ in sent]
    assert len(sent) >= 130 and indices == sorted(set(indices))
    assert indices[-1] + 1 == len(sent) + report.stats.frames_dropped  # nothing lost uncounted
    after = [result for index, result in sent if index >= 40]
    assert len(after) >= 90
    assert all(r.protected or (r.failsafe and r.reason.startswith("over budget")) for r in after[5:])
    assert all(r.protected for r in after[-30:])
    assert report.stats.frames_out == len(sent)


def test_camera_busy_at_start_is_one_clear_error(tmp_path):
    no_frames = FakeCapture(frames=0)
    with pytest.raises(VideoInputError, match="opened but delivered no frame; another application may be using it"):
        CameraSource(0, opener=lambda device: no_frames)
    assert not no_frames.opened  # released
    node = tmp_path / "video7"  # a node that exists but will not open (a FIFO: not a regular file, as a device)
    os.mkfifo(node)
    with pytest.raises(VideoInputError, match="exists but could not be opened: another application may be using it"):
        CameraSource(str(node), opener=lambda device: FakeCapture(opened=False))


def test_live_command_without_camera_exits_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    code = main(["--camera", "9", "--no-virtual-camera", "--preview", "--mode", "erase"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("privacycam: error: camera 9 not found; no cameras detected: ")
    assert "privacycam --list-cameras" in err[0] and "privacycam demo" in err[0]  # what to do next


# ----------------------------------------------------------------- frames


def test_frame_size_and_fps_change_mid_stream():
    clips = [(640, 480, 30.0), (320, 240, 30.0), (1280, 720, 15.0)]
    frames, t = [], 0.0
    for width, height, fps in clips:
        for image in (f.image for f in SyntheticSource(width, height, fps, frames=40)):
            frames.append(Frame(image, len(frames), t))
            t += 1 / fps
    pipeline = _pipeline()
    phases, protected = [], [0, 0, 0]
    for frame in frames:
        result = pipeline.process(frame)
        phases.append(pipeline.target_phase)
        assert result.image.shape == frame.image.shape
        if result.protected:
            _assert_only_skin_changed(frame.image, result)
            protected[frame.index // 40] += 1
    stats = pipeline.stats()
    pipeline.close()
    assert stats.events["frame size changed"] == 2 and stats.frames_out == len(frames)
    assert min(protected) >= 36, protected
    steps = np.diff(phases)  # 90 bpm: 0.05 beat per frame at 30 fps, 0.1 at 15 fps
    assert steps.min() > 0.04 and steps.max() < 0.11


def test_grayscale_bgra_float_and_16bit_frames_are_converted_and_protected():
    kinds = [
        cv2.cvtColor(FACE, cv2.COLOR_BGR2GRAY),
        cv2.cvtColor(FACE, cv2.COLOR_BGR2BGRA),
        FACE.astype(np.float32) / 255.0,
        FACE.astype(np.uint16) << 8,
    ]
    pipeline = _pipeline()
    protected = 0
    for i in range(40):
        frame = Frame(kinds[i % 4], i, i / 30)
        result = pipeline.process(frame)
        assert result.image.shape == (480, 640, 3) and result.image.dtype == np.uint8
        if result.protected:
            protected += 1
            _assert_only_skin_changed(as_bgr(frame.image), result)
    stats = pipeline.stats()
    pipeline.close()
    assert protected >= 38 and stats.frames_out == 40 and "unusable frame" not in stats.events


def test_black_and_saturated_frames_pass_unchanged_and_protection_resumes(caplog):
    images = [FACE] * 10 + [np.zeros_like(FACE)] * 25 + [np.full_like(FACE, 255)] * 10 + [FACE] * 10
    pipeline = _pipeline()
    results = []
    with caplog.at_level(logging.WARNING, logger="privacycam.stream.pipeline"):
        for i, image in enumerate(images):
            results.append(pipeline.process(Frame(image, i, i / 30)))
    stats = pipeline.stats()
    pipeline.close()
    last_face_t = 9 / 30
    lost = [i for i in range(10, 45) if i / 30 - last_face_t <= FACE_LOST_GRACE_S]
    absent = [i for i in range(10, 45) if i not in lost]
    assert lost and absent
    for i in lost:  # just after the face vanished: a missed detection, so the fail-safe freezes
        assert results[i].reason == "face lost (frozen)" and np.array_equal(results[i].image, results[9].image)
    for i in absent:  # then no face: frames pass unchanged
        assert results[i].reason == "no face" and np.array_equal(results[i].image, images[i])
    assert all(r.protected for r in results[1:10]) and all(r.protected for r in results[47:])
    assert stats.events["no face"] == len(absent) and stats.frames_protected >= 17
    assert "no face in view: frames pass unedited" in caplog.messages
    assert "face in view: protecting" in caplog.messages


def test_no_face_for_minutes_then_face_returns():
    gradient = SyntheticSource(640, 480, pattern="gradient", frames=1)
    frames = [Frame(FACE, i, i / 30) for i in range(30)]
    frames += [Frame(gradient.render(t), 30 + i, 1.0 + t) for i, t in enumerate(np.arange(150.0))]  # 2.5 min, 1 fps
    frames += [Frame(FACE, 180 + i, 151.0 + i / 30) for i in range(60)]
    pipeline = _pipeline()
    results = [pipeline.process(frame) for frame in frames]
    stats = pipeline.stats()
    pipeline.close()
    # the first face-less frame comes 1/30 s after the face: within the grace it is "face lost"
    assert results[30].reason == "face lost (frozen)" and results[30].failsafe
    assert stats.events["no face"] == 149 and stats.frames_out == 240
    assert all(np.array_equal(r.image, f.image) for f, r in zip(frames[31:180], results[31:180]))
    assert sum(r.protected for r in results[180:]) >= 58
    assert stats.face_found and stats.last_message == "face in view: protecting"


HEAD = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[20:260, 105:345]  # the astronaut's head and shoulders


def _head(side: int) -> np.ndarray:
    return cv2.resize(HEAD, (side, side), interpolation=cv2.INTER_AREA)


def test_several_faces_protect_the_largest_and_say_so(caplog):
    image = np.full((480, 640, 3), 96, np.uint8)
    image[40:340, 10:310] = _head(300)
    image[270:470, 430:630] = _head(200)
    pipeline = _pipeline()
    results, counts = [], []
    with caplog.at_level(logging.WARNING, logger="privacycam.stream.pipeline"):
        for i in range(20):
            results.append(pipeline.process(Frame(image, i, i / 30)))
            counts.append(pipeline.stats().face_count)
    pipeline.close()
    assert counts == [2] * 20
    assert "2 faces in view: protecting the tracked (else the largest) one" in caplog.messages
    assert all(r.protected for r in results)
    for result in results:
        _assert_only_skin_changed(image, result)
        assert 10 <= result.box[0] and result.box[2] <= 310  # on the big face, never the small one


def test_very_fast_motion_edits_follow_the_face():
    head = _head(200)
    rng = np.random.default_rng(3)
    pipeline = _pipeline()
    protected = 0
    for i in range(60):
        x, y = int(rng.integers(0, 440)), int(rng.integers(0, 280))  # jumps of ~150 px per frame
        image = np.full((480, 640, 3), 96, np.uint8)
        image[y : y + 200, x : x + 200] = head
        result = pipeline.process(Frame(image, i, i / 30))
        assert result.image.shape == image.shape
        if result.protected:
            protected += 1
            _assert_only_skin_changed(image, result)
            x0, y0, x1, y1 = result.box  # the skin box lies on the head where it is now
            assert x <= x0 < x1 <= x + 200 and y <= y0 < y1 <= y + 200
        else:
            assert np.array_equal(result.image, image) and result.reason == "no face"
    stats = pipeline.stats()
    pipeline.close()
    assert stats.frames_out == 60 and protected >= 55


# ----------------------------------------------------------------- fail-safe policy


def _pulsing_face(n: int) -> list[Frame]:
    """The portrait with a 3-grey-level, 1.2 Hz brightness pulse (what must not leak)."""
    return [
        Frame(np.clip(FACE.astype(np.int16) + round(3 * math.sin(2 * math.pi * 1.2 * i / 30)), 0, 255).astype(np.uint8), i, i / 30)
        for i in range(n)
    ]


@pytest.mark.parametrize("policy", ["freeze", "blur", "passthrough"])
def test_fail_safe_policies(policy):
    frames = _pulsing_face(50)
    pipeline = _pipeline(on_failure=policy, freeze_max_s=0.51)
    for frame in frames[:10]:
        last = pipeline.process(frame)
    assert last.protected
    results = [pipeline.process(frame, load=FAIL_SAFE) for frame in frames[10:50]]
    stats = pipeline.stats()
    x0, y0, x1, y1 = box = pipeline._last_box
    pipeline.close()
    inside = np.array([r.image[y0:y1, x0:x1].mean() for r in results])
    if policy == "passthrough":
        assert all(np.array_equal(r.image, f.image) for r, f in zip(results, frames[10:]))
        assert stats.frames_passthrough == 40 and stats.frames_failsafe == 0
        assert inside.std() > 1.0  # the pulse goes out: passthrough leaks it
        return
    frozen = 16 if policy == "freeze" else 0  # 0.5 s of 30 fps frames, then concealed
    assert all(np.array_equal(r.image, last.image) for r in results[:frozen])
    assert stats.events.get("over budget (frozen)", 0) == frozen
    assert stats.events["over budget (concealed)"] == 40 - frozen
    assert stats.frames_failsafe == 40 and stats.frames_protected == 10 and stats.events["overload: fail-safe"] == 40
    concealed = results[frozen:]
    assert all(r.box == box for r in concealed)
    assert np.ptp(inside[frozen:]) == 0  # the face box is still: no pulse at all
    outside = np.ones(FACE.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    for result, frame in zip(concealed, frames[10 + frozen :]):
        assert np.array_equal(result.image[outside], frame.image[outside])  # the call stays live


def test_fail_safe_ends_when_protection_is_back():
    frames = _pulsing_face(40)
    pipeline = _pipeline()
    for frame in frames[:5]:
        pipeline.process(frame)
    held = pipeline.process(frames[5], load=FAIL_SAFE)
    assert held.failsafe and held.reason == "over budget (frozen)"
    back = [pipeline.process(frame) for frame in frames[6:40]]
    stats = pipeline.stats()
    pipeline.close()
    assert all(r.protected for r in back) and stats.frames_failsafe == 1 and stats.events["overload: recovered"] == 1


class BreakingTracker(FaceTracker):
    """The real face mesh, until it starts raising (a crash inside a dependency)."""

    def __init__(self, works_for: int) -> None:
        super().__init__()
        self.left = works_for

    def observe(self, image: np.ndarray):
        self.left -= 1
        if self.left < 0:
            raise RuntimeError("mesh crashed")
        return super().observe(image)


def test_a_crash_inside_the_per_frame_path_fails_safe_and_is_reported(caplog):
    frames = _pulsing_face(60)
    config = FilterConfig(asynchronous=False, freeze_max_s=0.51, refine_steps=0)
    pipeline = FilterPipeline(SpectralEditor(), parse_mode("erase"), config, BreakingTracker(works_for=10))
    with caplog.at_level(logging.WARNING, logger="privacycam.stream.pipeline"):
        results = [pipeline.process(frame) for frame in frames]
    stats = pipeline.stats()
    pipeline.close()
    assert all(r.protected for r in results[:10]) and stats.frames_out == 60
    assert stats.events["internal error (frozen)"] == 16 and stats.events["internal error (concealed)"] == 34
    assert "internal error (RuntimeError: mesh crashed); frame not protected" in caplog.messages
    assert sum("per-frame path failed" in m for m in caplog.messages) == 1  # one traceback, not one per frame


# ----------------------------------------------------------------- overload


def test_ladder_climbs_one_rung_at_a_time_jumps_when_full_and_recovers():
    ladder = OverloadLadder(climb_after=3, descend_after=30)
    rungs = [ladder.update(1, 4) for _ in range(9)]
    assert rungs == [0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert ladder.update(3, 4) == FAIL_SAFE
    down = [ladder.update(0, 4) for _ in range(120)]
    assert down[28] == FAIL_SAFE and down[29] == FAIL_SAFE - 1 and down[-1] == NORMAL
    assert [ladder.update(0, 4) for _ in range(40)] == [NORMAL] * 40  # on time: stays put
    assert [ladder.update(1, 4), ladder.update(0, 4), ladder.update(1, 4)] == [NORMAL] * 3  # jitter is not overload


def test_ladder_comes_down_through_scheduling_jitter():
    """A worker that keeps up on a busy machine sees a frame or two queued now and then: the
    ladder still comes down after 30 frames on time, and climbs again when lateness persists."""
    ladder = OverloadLadder(climb_after=3, descend_after=30)
    assert ladder.update(3, 4) == FAIL_SAFE
    jittery = [ladder.update(backlog, 4) for _ in range(3) for backlog in [0] * 10 + [1, 2]]
    assert jittery[-3] == FAIL_SAFE - 1 and jittery[-1] == FAIL_SAFE - 1  # after the 30th frame on time
    assert [ladder.update(b, 4) for b in (0, 1, 1, 1)] == [FAIL_SAFE - 1] * 3 + [FAIL_SAFE]  # 3 late in a row


class SlowThenFastSink(ListSink):
    """A sink stalling for the first ``slow`` frames (a burst of load elsewhere on the machine)."""

    def __init__(self, slow: int) -> None:
        super().__init__()
        self.slow = slow

    def write(self, image: np.ndarray) -> None:
        if len(self.images) < self.slow:
            time.sleep(0.1)
        super().write(image)


def test_overload_burst_degrades_step_by_step_then_recovers(caplog):
    # 15 fps: the sink's stalls (0.1 s a frame) outrun the camera, the rest leaves a loaded machine headroom
    source = SyntheticSource(320, 240, 15.0, frames=210, realtime=True)
    pipeline = _pipeline(asynchronous=True, fps=15.0)
    sink = SlowThenFastSink(slow=20)
    sent: list[ProcessedFrame] = []
    with caplog.at_level(logging.WARNING, logger="privacycam.stream.pipeline"):
        report = StreamRunner(source, pipeline, sink, on_frame=lambda f, r: sent.append(r)).run()
    pipeline.close()
    stats = report.stats
    assert report.error == "" and not report.interrupted
    assert stats.frames_out + stats.frames_dropped == 210 and stats.frames_dropped > 0
    for rung in ("refine skipped", "reduced model cadence", "fail-safe", "recovered"):
        assert stats.events[f"overload: {rung}"] > 0, rung
    assert stats.frames_failsafe > 0 and "overload: fail-safe" in caplog.messages
    assert "load easing: normal" in caplog.messages and not stats.over_budget
    assert all(r.protected for r in sent[-30:])  # back to full protection
    assert stats.events["overload: refine skipped"] >= stats.events["overload: fail-safe"] > 0
