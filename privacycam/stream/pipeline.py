"""The per-frame path: landmarks → skin mask + canonical crop → ring → planned edit → dithered
composite. Causal: the edit of frame t uses only frames ≤ t, and no frame waits for later ones."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from privacycam.editors.base import Editor, Plan
from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceObservation, FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.frames import Frame, as_bgr
from privacycam.modes import Mode
from privacycam.pulse.decoy import DecoyNoise
from privacycam.pulse.target import TargetPulse
from privacycam.stream.dither import StochasticRounder
from privacycam.stream.planner import Planner
from privacycam.stream.ring import CropRing
from privacycam.stream.stats import StreamStats

log = logging.getLogger(__name__)

ON_FAILURE = ("passthrough", "blur", "freeze")


@dataclass
class PipelineConfig:
    """Tunables of the streaming core."""

    canonical_size: int = 64
    window_s: float = 8.0  # history kept for planning
    plan_every: int = 10  # frames between planner runs (S)
    crossfade_frames: int = 10  # blend length across plan seams
    fps: float = 30.0  # nominal; sizes the ring and the decoy filter
    asynchronous: bool = True  # planner in a worker thread (live) or inline (file mode)
    on_failure: str = "passthrough"  # what to send when a face is present but cannot be protected
    seed: int = 0


@dataclass
class ProcessedFrame:
    """The output frame and what happened to it."""

    image: np.ndarray
    protected: bool
    reason: str = ""  # why it was not protected
    box: tuple[int, int, int, int] | None = None
    mask: np.ndarray | None = None  # skin mask over ``box`` (the only pixels that may change)
    timings_ms: dict[str, float] = field(default_factory=dict)


class FilterPipeline:
    """The streaming filter. Thread-safe mode switches; one call of :meth:`process` per frame."""

    def __init__(self, editor: Editor, mode: Mode, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        if self.config.on_failure not in ON_FAILURE:
            raise ValueError(f"on_failure must be one of {ON_FAILURE}")
        self.editor = editor
        self._mode = mode
        self._mode_lock = threading.Lock()
        self._tracker = FaceTracker()
        self._planner = Planner(editor, asynchronous=self.config.asynchronous)
        self._ring = CropRing(int(self.config.window_s * self.config.fps) + 1, self.config.canonical_size)
        self._target = TargetPulse(mode.target_bpm, seed=self.config.seed)
        self._decoy = DecoyNoise(fps=self.config.fps, seed=self.config.seed + 1)
        self._rounder = StochasticRounder(seed=self.config.seed)
        self._shape: tuple[int, ...] | None = None
        self._since_submit = 0
        self._plan: Plan | None = None
        self._previous_plan: Plan | None = None
        self._seam_frames = 0
        self._last_sent: np.ndarray | None = None
        self._last_face: FaceObservation | None = None
        self._last_box: tuple[int, int, int, int] | None = None
        self._times_ms: deque[float] = deque(maxlen=120)
        self._stamps: deque[float] = deque(maxlen=60)
        self._stats = StreamStats(mode=mode.label(), backend=editor.backend)
        self._messages_seen: set[str] = set()

    # ----- control (FilterControl protocol) -----
    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Switch mode/target now; the target pulse glides to the new rate, phase intact."""
        with self._mode_lock:
            self._mode = mode
            self._target.set_bpm(mode.target_bpm)
        self._stats.mode = mode.label()
        self._tell(f"mode → {mode.label()}")

    @property
    def target_phase(self) -> float:
        """Phase of the target pulse in beats (continuous; for tests and diagnostics)."""
        return self._target.phase

    def stats(self) -> StreamStats:
        s = self._stats
        s.plans_made = self._planner.plans_made
        s.plans_late = self._planner.requests_dropped
        if self._times_ms:
            s.added_latency_ms = float(np.median(self._times_ms))
        if len(self._stamps) >= 2:
            s.fps = (len(self._stamps) - 1) / max(1e-6, self._stamps[-1] - self._stamps[0])
        return StreamStats(**s.as_dict())

    def close(self) -> None:
        self._planner.close()
        self._tracker.close()

    # ----- per-frame path -----
    def process(self, frame: Frame, load: int = 0) -> ProcessedFrame:
        """Filter one frame. Never raises for bad frames: it passes them through and says why.

        ``load`` is the runner's overload level: 0 normal; 1 behind schedule (reuse the last
        face geometry instead of running the face mesh); 2 far behind (apply ``on_failure``
        without editing).
        """
        start = time.perf_counter()
        self._stats.frames_in += 1
        try:
            image = as_bgr(frame.image)
        except ValueError as exc:
            self._tell(f"unusable frame ({exc}); sending a black frame")
            shape = self._shape or (480, 640, 3)
            return self._finish(start, frame, ProcessedFrame(np.zeros(shape, np.uint8), False, "unusable frame"))
        if image.shape != self._shape:
            if self._shape is not None:
                self._tell(f"frame size changed {self._shape[1]}x{self._shape[0]} → {image.shape[1]}x{image.shape[0]}")
            self._reset_geometry(image.shape)
        with self._mode_lock:
            mode = self._mode
            target_value = self._target.advance(frame.timestamp)
        decoy_value = self._decoy.advance()
        if mode.is_off:
            return self._finish(start, frame, ProcessedFrame(image, False, "mode off"))
        self._stats.over_budget = load > 0
        if load >= 2:
            self._stats.events["overload: fail-safe"] = self._stats.events.get("overload: fail-safe", 0) + 1
            return self._finish(start, frame, self._failed(image, "over budget", {}, self._last_box))
        drive = target_value if mode.spoof else decoy_value
        result = self._edit(image, frame.timestamp, mode, drive, reuse_face=load == 1)
        return self._finish(start, frame, result)

    def _edit(self, image: np.ndarray, timestamp: float, mode: Mode, drive: float, reuse_face: bool) -> ProcessedFrame:
        timings: dict[str, float] = {}
        t = time.perf_counter()
        if reuse_face and self._last_face is not None:
            face = self._last_face
            self._stats.events["overload: reused landmarks"] = self._stats.events.get("overload: reused landmarks", 0) + 1
        else:
            face = self._tracker.observe(image)
            self._last_face = face
        timings["landmarks"] = _ms(t)
        self._stats.face_found = face is not None
        self._stats.face_count = 0 if face is None else face.face_count
        if face is None:
            return ProcessedFrame(image, False, "no face", timings_ms=timings)
        if face.face_count > 1:
            self._tell(f"{face.face_count} faces in view: protecting the largest")
        height, width = image.shape[:2]
        x0, y0, x1, y1 = face.box
        box = (max(0, x0 - 2), max(0, y0 - 2), min(width, x1 + 2), min(height, y1 + 2))
        self._last_box = box
        if box[2] - box[0] < 16 or box[3] - box[1] < 16:
            return ProcessedFrame(image, False, "face too small", timings_ms=timings)

        t = time.perf_counter()
        try:
            warp = CanonicalWarp.from_landmarks(face.landmarks, self.config.canonical_size)
        except ValueError:
            return self._failed(image, "landmarks degenerate", timings)
        mask = skin_mask(face.landmarks, box)
        canonical_landmarks = cv2.transform(face.landmarks[None], warp.to_canonical)[0]
        size = self.config.canonical_size
        self._ring.push(warp.crop(image), skin_mask(canonical_landmarks, (0, 0, size, size), scale=1.0), timestamp)
        timings["mask_warp"] = _ms(t)

        self._since_submit += 1
        if self._plan is None or self._since_submit >= self.config.plan_every:
            self._since_submit = 0
            self._planner.submit(self._ring.window(), mode)
        plan = self._planner.latest()
        if plan is None:
            return self._failed(image, "warming up", timings, box, mask)
        if plan is not self._plan:
            self._previous_plan, self._plan, self._seam_frames = self._plan, plan, 0
            if plan.pulse_hz is not None:
                self._decoy.avoid(plan.pulse_hz)

        t = time.perf_counter()
        grid_edit = self._plan.edit_at(timestamp, drive)
        if self._previous_plan is not None and self._seam_frames < self.config.crossfade_frames:
            weight = (self._seam_frames + 1) / (self.config.crossfade_frames + 1)
            grid_edit = weight * grid_edit + (1 - weight) * self._previous_plan.edit_at(timestamp, drive)
            self._seam_frames += 1
        edit = warp.edit_to_box(grid_edit, box)
        edit *= mask[..., None]
        out = image.copy()
        bx0, by0, bx1, by1 = box
        out[by0:by1, bx0:bx1] = self._rounder.add(out[by0:by1, bx0:bx1], edit)
        timings["composite"] = _ms(t)
        return ProcessedFrame(out, True, box=box, mask=mask, timings_ms=timings)

    def _failed(self, image, reason, timings, box=None, mask=None) -> ProcessedFrame:
        """A face is present but this frame cannot be protected: apply ``on_failure``."""
        policy = self.config.on_failure
        if policy == "freeze" and self._last_sent is not None and self._last_sent.shape == image.shape:
            return ProcessedFrame(self._last_sent, False, reason + " (frozen)", timings_ms=timings)
        if policy == "blur" and box is not None:
            out = image.copy()
            x0, y0, x1, y1 = box
            out[y0:y1, x0:x1] = cv2.blur(out[y0:y1, x0:x1], (31, 31))
            return ProcessedFrame(out, False, reason + " (blurred)", box=box, mask=mask, timings_ms=timings)
        return ProcessedFrame(image, False, reason, box=box, mask=mask, timings_ms=timings)

    def _reset_geometry(self, shape: tuple[int, ...]) -> None:
        self._shape = shape
        self._tracker.reset()
        self._ring.clear()
        self._planner.reset()
        self._plan = self._previous_plan = None
        self._last_sent = None
        self._last_face = None
        self._last_box = None

    def _finish(self, start: float, frame: Frame, result: ProcessedFrame) -> ProcessedFrame:
        elapsed = _ms(start)
        result.timings_ms["total"] = elapsed
        self._times_ms.append(elapsed)
        self._stamps.append(time.monotonic())
        s = self._stats
        s.frames_out += 1
        if result.protected:
            s.frames_protected += 1
            self._last_sent = result.image
        else:
            s.frames_passthrough += 1
            s.events[result.reason] = s.events.get(result.reason, 0) + 1
        return result

    def _tell(self, message: str) -> None:
        """Log a user-facing message once per distinct text (they repeat every frame otherwise)."""
        self._stats.last_message = message
        if message not in self._messages_seen:
            self._messages_seen.add(message)
            log.warning(message)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
