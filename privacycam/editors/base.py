"""The editor interface: window of canonical crops in, a plan of edits for coming frames out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

import cv2
import numpy as np

from privacycam.modes import Mode


@dataclass(frozen=True)
class Window:
    """The recent past in canonical face space, oldest first.

    ``crops``: (T, S, S, 3) uint8 BGR canonical crops of the *original* frames;
    ``masks``: (T, S, S) float32 skin mask in canonical space; ``timestamps``: (T,) seconds;
    ``edits``: (T, 3) BGR mean edit the pipeline applied to each frame's skin; ``drives``:
    (T,) the mode's drive signal at each frame; ``view_colours``: (T, V, 3) BGR mean colour
    of the original frame in V attacker views (the skin itself, then face boxes as
    attackers may crop them, skin and all), of which the edited skin is ``view_shares``
    (T, V) (1 for the skin view) (all four None when not recorded); ``held_views``: the
    indices of the views that are boxes held still while the face moves
    (:mod:`privacycam.rppg.held_boxes`).
    """

    crops: np.ndarray
    masks: np.ndarray
    timestamps: np.ndarray
    edits: np.ndarray | None = None
    drives: np.ndarray | None = None
    view_colours: np.ndarray | None = None
    view_shares: np.ndarray | None = None
    held_views: tuple[int, ...] = ()

    def with_views(self, views: list[int]) -> Window:
        """The same history read through the attacker views ``views`` only, in that order."""
        held = tuple(views.index(v) for v in self.held_views if v in views)
        return replace(self, view_colours=self.view_colours[:, views], view_shares=self.view_shares[:, views], held_views=held)

    @property
    def fps(self) -> float:
        if len(self.timestamps) < 2:
            return 30.0
        return float((len(self.timestamps) - 1) / max(1e-6, self.timestamps[-1] - self.timestamps[0]))

    def cell_means(self, grid: int) -> tuple[np.ndarray, np.ndarray]:
        """Skin-weighted mean colour per ``grid`` x ``grid`` cell: ((T,g,g,3) BGR, (T,g,g) coverage)."""
        masks = self.masks.astype(np.float32)
        weighted = self.crops.astype(np.float32) * masks[..., None]
        size = (grid, grid)
        sums = np.stack([cv2.resize(w, size, interpolation=cv2.INTER_AREA) for w in weighted])
        cover = np.stack([cv2.resize(m, size, interpolation=cv2.INTER_AREA) for m in masks])
        means = sums / np.maximum(cover, 1e-6)[..., None]
        return means, cover


class Plan(ABC):
    """Planned edits for the frames still to be sent, as a function of time.

    ``drive`` is the mode's signal at that moment (the target pulse value for spoof-hr,
    the decoy value for erase), so the pulse stays phase-continuous across plans.
    """

    made_at: float  # timestamp of the newest frame the plan has seen
    pulse_hz: float | None = None  # the real pulse rate the plan measured, if it did
    region: str = "skin"  # where the pipeline applies the edit: "skin" mask or the whole "face" oval
    flow: np.ndarray | None = None  # (S, S, 2) canonical displacement the pipeline applies first (deidentify)

    @abstractmethod
    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        """(g, g, 3) float32 BGR additive edit in grey levels, covering the canonical square."""

    def louder(self, gain: float) -> Plan:
        """This plan injecting ``gain`` x louder, for publishing it without refine (an editor
        whose plans have no separate injection returns the plan as it is)."""
        return self


def crossfade_weight(age: int, frames: int) -> float:
    """A new plan's weight ``age`` frames after it replaced the previous one, which keeps
    the rest: the seam between plans is blended over ``frames`` frames."""
    return min(1.0, (age + 1) / (frames + 1))


def crossfade(edit: np.ndarray, previous: np.ndarray, weight: float) -> np.ndarray:
    """``weight`` x the new plan's (g, g, 3) ``edit`` + the rest of the previous plan's, whose
    grid may differ (a pulse plan's 8x8 after a de-identify plan's 16x16)."""
    if previous.shape != edit.shape:
        previous = cv2.resize(previous, edit.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    return weight * edit + (1 - weight) * previous


class Editor(ABC):
    """Makes plans from windows. Runs in the planner thread, never in the per-frame path."""

    name: str = "editor"
    backend: str = "numpy"
    min_window_s: float = 2.0  # shortest history worth planning from

    @abstractmethod
    def plan(self, window: Window, mode: Mode) -> Plan:
        """Plan the edits for the coming frames."""
