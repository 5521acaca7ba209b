"""The de-identification editor: changes the structure that carries identity (the face's
geometry, by a smooth displacement field, and its low-frequency tone) rather than adding a
pattern, and leaves the pulse where it was.

The fields are found per user against dlib's recogniser (:mod:`privacycam.editors.deid_warp`)
on the last second's canonical crops: ``FIRST_STEPS`` steps on the first plan (the face is
concealed until it arrives), ``CATCH_UP_STEPS`` per plan until ``SEARCH_STEPS`` are done, then
a few per plan; consecutive plans are blended exponentially, so the change is the same for
the whole stream (no flicker) and far slower than the 0.7-3.5 Hz pulse band. The pipeline
applies the displacement every frame in the canonical square anchored to that frame's
landmarks (so it follows head motion and expression) under the feathered face-oval mask.
A warp moves skin pixels, with their pulse, a few pixels; the tone is constant in time;
so the skin's mean colour over time, which rPPG reads, keeps the original pulse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from privacycam.editors.base import Editor, Plan, Window
from privacycam.editors.deid_warp import WarpRefiner
from privacycam.modes import Mode

MEAN_S = 1.0  # each plan refines on this much of the most recent history
BLEND = 0.3  # weight of a new plan's fields against the running ones
FIRST_STEPS = 10  # refinement steps of the first plan (the face stays concealed meanwhile)
CATCH_UP_STEPS = 10  # steps of each later plan until SEARCH_STEPS are done
SEARCH_STEPS = 30  # the search's length before it only follows the face (refine_steps per plan)


@dataclass
class DeidPlan(Plan):
    """One constant identity change over the face oval until the next plan: ``flow`` is the
    (S, S, 2) canonical displacement (pixel p shows the face at p + flow), ``edit`` the
    (S, S, 3) BGR tone in grey levels."""

    made_at: float
    edit: np.ndarray
    flow: np.ndarray | None = None
    region: str = "face"
    pulse_hz: float | None = None

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        return self.edit


class DeidEditor(Editor):
    """Plans steady identity changes: ``FIRST_STEPS`` refinement steps on the first plan,
    ``CATCH_UP_STEPS`` per plan until ``SEARCH_STEPS``, then ``refine_steps`` per plan on the
    face in view. ``settings``: :class:`WarpRefiner` keywords."""

    name = "deid"
    backend = "torch"
    min_window_s = 0.0

    def __init__(self, refine_steps: int = 3, **settings: float) -> None:
        self._refiner = WarpRefiner(steps=refine_steps, **settings)
        self._fields: tuple[np.ndarray, np.ndarray] | None = None
        self._steps_done = 0

    @property
    def distance(self) -> float:
        """dlib descriptor distance reached at the last refinement step (diagnostics)."""
        return self._refiner.distance

    def plan(self, window: Window, mode: Mode) -> DeidPlan:
        recent = max(1, int(round(MEAN_S * window.fps)))
        first = self._fields is None
        steps = FIRST_STEPS if first else CATCH_UP_STEPS if self._steps_done < SEARCH_STEPS else self._refiner.steps
        self._steps_done += steps
        flow, tone = self._refiner.refine(window.crops[-recent:], steps)
        if not first:
            flow = (1 - BLEND) * self._fields[0] + BLEND * flow
            tone = (1 - BLEND) * self._fields[1] + BLEND * tone
        self._fields = (flow, tone)
        return DeidPlan(float(window.timestamps[-1]), tone.astype(np.float32), flow.astype(np.float32))
