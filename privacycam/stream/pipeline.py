"""The per-frame path: landmarks → skin mask + canonical crop → ring → planned edit → dithered
composite. Causal: the edit of frame t uses only frames ≤ t, and no frame waits for later ones."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import replace

import cv2
import numpy as np

from privacycam.config import ON_FAILURE, FilterConfig
from privacycam.editors.base import Editor, Plan, Window, crossfade, crossfade_weight
from privacycam.editors.refine import Lookahead, TraceRefiner, skin_mean
from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceObservation, FaceTracker
from privacycam.face.skin_mask import face_mask, skin_mask
from privacycam.frames import Frame, ProcessedFrame, as_bgr
from privacycam.modes import Mode
from privacycam.pulse.decoy import DecoyNoise
from privacycam.pulse.waveform import spoof_target
from privacycam.render.composite import Compositor
from privacycam.render.failsafe import FailSafe
from privacycam.rppg.held_boxes import HeldBoxes
from privacycam.rppg.views import attacker_views, detector_square, face_box
from privacycam.stream.ladder import CADENCE_FACTOR, FAIL_SAFE, NORMAL, REUSE_LANDMARKS, RUNGS, SKIP_REFINE, SLOW_PLANNING
from privacycam.stream.planner import Planner
from privacycam.stream.ring import CropRing
from privacycam.stream.stats import StreamStats

log = logging.getLogger(__name__)

RING_HELD_VIEWS = (2, 3)  # where the ring keeps the two held boxes' views
FACE_LOST_GRACE_S = 0.5  # a face missing for at most this long is "lost" (fail-safe), not "absent"
# several faces are announced once they stay this long: the mesh's one-frame false hits (the
# astronaut portrait's suit, twice in 12 s) are not people
SEVERAL_FACES_HOLD_S = 0.3


class FilterPipeline:
    """The streaming filter. Thread-safe mode switches; one call of :meth:`process` per frame.
    ``tracker`` replaces the MediaPipe face tracker (anything with ``observe``/``reset``/``close``)."""

    def __init__(
        self, editor: Editor, mode: Mode, config: FilterConfig | None = None, tracker: FaceTracker | None = None
    ) -> None:
        self.config = config or FilterConfig()
        if self.config.on_failure not in ON_FAILURE:
            raise ValueError(f"on_failure must be one of {ON_FAILURE}")
        self.editor = editor
        self._mode = mode
        self._mode_lock = threading.Lock()
        self._tracker = tracker or FaceTracker()
        c = self.config
        refiner = (
            TraceRefiner(
                c.refine_steps, c.refine_attackers, crossfade_frames=c.crossfade_frames, min_psnr_db=c.refine_min_psnr_db
            )
            if c.refine_steps > 0
            else None
        )
        self._planner = Planner(
            editor,
            asynchronous=c.asynchronous,
            refiner=refiner,
            budget_ms=c.refine_budget_ms,
            niceness=c.planner_niceness,
            unrefined_gain=c.unrefined_gain,
        )
        # views kept per frame: skin, face box, both held boxes (RING_HELD_VIEWS), detector square
        self._ring = CropRing(int(self.config.window_s * self.config.fps) + 1, self.config.canonical_size, views=5)
        self._held_boxes = HeldBoxes()
        self._target = spoof_target(mode, self.config.fps, self.config.seed)
        self._decoy = DecoyNoise(fps=self.config.fps, seed=self.config.seed + 1)
        self._compositor = Compositor(self.config.halo_strength, self.config.seed)
        self._shape: tuple[int, ...] | None = None
        self._since_submit = 0
        self._plan: Plan | None = None
        self._previous_plan: Plan | None = None
        self._seam_frames = 0
        self._last_face: FaceObservation | None = None
        self._last_box: tuple[int, int, int, int] | None = None
        self._face_seen_at = float("-inf")
        self._several_faces_since: float | None = None
        self._now = 0.0  # timestamp of the frame being processed
        self._failsafe = FailSafe(self.config.on_failure, self.config.freeze_max_s)
        self._rung = NORMAL
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
            if mode.wave != self._mode.wave:  # a new waveform file, or back to the synthetic pulse
                self._target = spoof_target(mode, self.config.fps, self.config.seed)
            self._mode = mode
            self._target.set_bpm(mode.target_bpm)
        self._stats.mode = mode.label()
        self.notify(f"mode → {mode.label()}")

    @property
    def target_phase(self) -> float:
        """Phase of the target pulse in beats (continuous; for tests and diagnostics)."""
        return self._target.phase

    def stats(self) -> StreamStats:
        s = self._stats
        s.plans_made = self._planner.plans_made
        s.plans_late = self._planner.requests_dropped
        if s.plans_late:  # the ladder's "reuse the last plan" step: the planner could not keep up
            s.events["overload: planner requests dropped"] = s.plans_late
        if self._planner.refiner is not None:
            s.refine = replace(self._planner.refiner.stats)
            if s.refine.misses:
                s.events["refine: late, unrefined plan used"] = s.refine.misses
        if self._times_ms:
            s.added_latency_ms = float(np.median(self._times_ms))
        if len(self._stamps) >= 2:
            s.fps = (len(self._stamps) - 1) / max(1e-6, self._stamps[-1] - self._stamps[0])
        return replace(s, events=dict(s.events))

    def close(self) -> None:
        self._planner.close()
        self._tracker.close()

    # ----- per-frame path -----
    def process(self, frame: Frame, load: int = 0) -> ProcessedFrame:
        """Filter one frame. Never raises: a frame it cannot read becomes black, one it cannot
        protect gets the ``on_failure`` policy (or passes when there is no face), and it says why.

        ``load`` is the rung of the runner's overload ladder (:mod:`privacycam.stream.ladder`):
        0 normal; 1 skip refine; 2 plan less often (the last plan is reused meanwhile); 3 reuse
        the last face geometry instead of running the face mesh; 4 apply ``on_failure``
        without editing. Each rung is counted in ``stats().events``.
        """
        start = time.perf_counter()
        self._stats.frames_in += 1
        self._now = frame.timestamp
        try:
            image = as_bgr(frame.image)
        except ValueError as exc:
            self.notify(f"unusable frame ({exc}); sending a black frame")
            shape = self._shape or (480, 640, 3)
            return self._finish(start, frame, ProcessedFrame(np.zeros(shape, np.uint8), False, "unusable frame"))
        if image.shape != self._shape:
            if self._shape is not None:
                self._count("frame size changed")
                self.notify(f"frame size changed {self._shape[1]}x{self._shape[0]} → {image.shape[1]}x{image.shape[0]}")
            self._reset_geometry(image.shape)
        with self._mode_lock:
            mode = self._mode
            target_value = self._target.advance(frame.timestamp)
        decoy_value = self._decoy.advance()
        if mode.is_off:
            return self._finish(start, frame, ProcessedFrame(image, False, "mode off"))
        self._note_load(load)
        if load >= FAIL_SAFE:
            return self._finish(start, frame, self._failed(image, "over budget", {}, self._last_box))
        drive = target_value if mode.spoof else decoy_value
        try:
            result = self._edit(image, frame.timestamp, mode, drive, load)
        except Exception as exc:  # a bug must not stop the call: fail safe, say so, count it
            message = f"internal error ({type(exc).__name__}: {exc}); frame not protected"
            if message not in self._messages_seen:
                log.exception("per-frame path failed")
            self.notify(message)
            result = self._failed(image, "internal error", {}, self._last_box)
        return self._finish(start, frame, result)

    def _note_load(self, rung: int) -> None:
        """Count the overload ladder's rung (see :mod:`privacycam.stream.ladder`); say when it moves."""
        self._stats.over_budget = rung > NORMAL
        if rung != self._rung:
            self.notify(f"overload: {RUNGS[rung]}" if rung > self._rung else f"load easing: {RUNGS[rung]}")
            if rung == NORMAL:
                self._count("overload: recovered")
            self._rung = rung
        for step in (SKIP_REFINE, SLOW_PLANNING, FAIL_SAFE):
            if rung >= step:
                self._count(f"overload: {RUNGS[step]}")

    def _count(self, event: str) -> None:
        self._stats.events[event] = self._stats.events.get(event, 0) + 1

    def _edit(self, image: np.ndarray, timestamp: float, mode: Mode, drive: float, rung: int) -> ProcessedFrame:
        timings: dict[str, float] = {}
        t = time.perf_counter()
        if rung >= REUSE_LANDMARKS and self._last_face is not None:
            face = self._last_face
            self._count(f"overload: {RUNGS[REUSE_LANDMARKS]}")
        else:
            face = self._tracker.observe(image)
            self._last_face = face
        timings["landmarks"] = _ms(t)
        if (face is not None) != self._stats.face_found:
            self.notify("face in view: protecting" if face is not None else "no face in view: frames pass unedited")
        self._stats.face_found = face is not None
        self._stats.face_count = 0 if face is None else face.face_count
        if face is None:
            if self._last_box is not None and timestamp - self._face_seen_at <= FACE_LOST_GRACE_S:
                return self._failed(image, "face lost", timings, self._last_box)  # a missed detection
            return ProcessedFrame(image, False, "no face", timings_ms=timings)
        self._face_seen_at = timestamp
        if face.face_count < 2:
            self._several_faces_since = None
        elif self._several_faces_since is None:
            self._several_faces_since = timestamp
        elif timestamp - self._several_faces_since >= SEVERAL_FACES_HOLD_S:
            self.notify(f"{face.face_count} faces in view: protecting the tracked (else the largest) one")
        box = face_box(face, image.shape)
        if box[2] - box[0] < 16 or box[3] - box[1] < 16:
            return ProcessedFrame(image, False, "face too small", timings_ms=timings)
        self._last_box = box

        t = time.perf_counter()
        try:
            warp = CanonicalWarp.from_landmarks(face.landmarks, self.config.canonical_size)
        except ValueError:
            return self._failed(image, "landmarks degenerate", timings, box)
        mask = skin_mask(face.landmarks, box)
        canonical_landmarks = cv2.transform(face.landmarks[None], warp.to_canonical)[0]
        size = self.config.canonical_size
        canonical_skin = skin_mask(canonical_landmarks, (0, 0, size, size), scale=1.0)
        refining = self._planner.refiner is not None
        square = detector_square(box, image.shape)  # the largest box an attacker crops: refine's view, the halo's region
        views = (None, None)
        if refining:  # only refine reads them
            centre = tuple(face.landmarks.mean(axis=0))
            views = attacker_views(image, box, mask, self._held_boxes.update(timestamp, square, centre))
        crop = warp.crop(image)
        self._ring.push(crop, canonical_skin, timestamp, drive, *views)
        timings["mask_warp"] = _ms(t)

        self._since_submit += 1
        every = self.config.plan_every * (CADENCE_FACTOR if rung >= SLOW_PLANNING else 1)
        if self._plan is None or self._since_submit >= every:
            self._since_submit = 0
            lookahead = self._lookahead(timestamp, mode, drive) if refining else None
            self._planner.submit(self._window(), mode, lookahead, refine=rung < SKIP_REFINE)
        plan = self._planner.latest()
        if plan is None:
            return self._failed(image, "warming up", timings, box, mask)
        if plan is not self._plan:
            self._previous_plan, self._plan, self._seam_frames = self._plan, plan, 0
            if plan.pulse_hz is not None:
                self._decoy.avoid(plan.pulse_hz)

        t = time.perf_counter()
        halo = mode.spoof and self.config.halo_strength > 0
        regions, seam = {self._plan.region}, None
        if self._previous_plan is not None and self._seam_frames < self.config.crossfade_frames:
            seam = crossfade_weight(self._seam_frames, self.config.crossfade_frames)
            regions.add(self._previous_plan.region)
            self._seam_frames += 1
        grid_edit = self._planned_edit(timestamp, drive, seam)
        undriven = self._planned_edit(timestamp, 0.0, seam) if halo else None  # the plan without its target
        if "face" in regions:  # identity edits cover eyes, brows and lips too
            mask = face_mask(face.landmarks, box)
        if refining:
            self._ring.record_edit(skin_mean(grid_edit, canonical_skin))
        target = None
        if halo:  # the skin's target as a relative colour change, continued onto the pixels around it
            target = skin_mean(grid_edit - undriven, canonical_skin) / np.maximum(skin_mean(crop, canonical_skin), 1.0)
        composite = self._compositor.compose(
            image, warp, box, mask, grid_edit, flow=self._planned_flow(seam), halo_square=square if halo else None, halo_target=target
        )
        timings["composite"] = _ms(t)
        return ProcessedFrame(
            composite.image, True, box=box, mask=mask, halo_box=composite.halo_box, halo=composite.halo, timings_ms=timings
        )

    def _planned_edit(self, timestamp: float, drive: float, seam: float | None) -> np.ndarray:
        """The current plan's grid edit at ``drive``, cross-faded with the previous plan's at
        the ``seam`` weight (None: past the seam)."""
        edit = self._plan.edit_at(timestamp, drive)
        return edit if seam is None else crossfade(edit, self._previous_plan.edit_at(timestamp, drive), seam)

    def _planned_flow(self, seam: float | None) -> np.ndarray | None:
        """The current plan's displacement (de-identification). Across a switch into or out of
        it the displacement fades in or out over the seam, like the edit; between two plans
        that both have one the new one applies at once (the editor already blends its plans)."""
        flow = self._plan.flow
        previous = None if seam is None else self._previous_plan.flow
        if seam is None or (flow is None) == (previous is None):
            return flow
        return seam * flow if previous is None else (1 - seam) * previous

    def _window(self) -> Window:
        """The ring's history with one held box, the one held still the longest: skin, face
        box, held box, detector square."""
        held = RING_HELD_VIEWS[self._held_boxes.steadiest()]
        return replace(self._ring.window(), held_views=(held,)).with_views([0, 1, held, 4])

    def _lookahead(self, timestamp: float, mode: Mode, drive: float) -> Lookahead:
        """This frame and the next ``refine_horizon - 1`` at the nominal rate, with their drive."""
        count = self.config.refine_horizon
        times = timestamp + np.arange(count) / self.config.fps
        with self._mode_lock:
            ahead = self._target.preview(times[1:]) if mode.spoof else self._decoy.preview(count - 1)
        return Lookahead(times, np.concatenate([[drive], ahead]))

    def _failed(self, image, reason, timings, box=None, mask=None) -> ProcessedFrame:
        """A face is in view but this frame cannot be protected: apply ``on_failure``
        (:class:`~privacycam.render.failsafe.FailSafe`)."""
        return self._failsafe.apply(image, self._now, reason, timings, box, mask)

    def _reset_geometry(self, shape: tuple[int, ...]) -> None:
        self._shape = shape
        self._tracker.reset()
        self._ring.clear()
        self._held_boxes.reset()
        self._planner.reset()
        self._plan = self._previous_plan = None
        self._failsafe.reset()
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
        else:
            if result.failsafe:
                s.frames_failsafe += 1
            else:
                s.frames_passthrough += 1
            self._count(result.reason)
        self._failsafe.sent(result)
        return result

    def notify(self, message: str) -> None:
        """Log a user-facing message once per distinct text (they repeat every frame otherwise)."""
        self._stats.last_message = message
        if message not in self._messages_seen:
            self._messages_seen.add(message)
            log.warning(message)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
