"""Pulse editing and de-identification together: one editor that plans with whichever
parts the mode asks for and sums their edits, so mode switches (tray, CLI) need no new editor."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from privacycam.editors.base import Editor, Plan, Window
from privacycam.errors import PrivacyCamError
from privacycam.modes import Mode

log = logging.getLogger(__name__)


@dataclass
class SumPlan(Plan):
    """The identity edit over the face oval plus the pulse edit kept on the skin.

    The pipeline multiplies the sum by the face-oval mask, so the pulse part is first
    multiplied by the window's canonical skin coverage at the identity edit's resolution.
    """

    made_at: float
    pulse: Plan
    identity: Plan
    skin: np.ndarray  # (g, g) canonical skin coverage in [0, 1]
    region: str = "face"
    pulse_hz: float | None = None

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        identity = self.identity.edit_at(timestamp, drive)
        grid = identity.shape[0]
        pulse = cv2.resize(self.pulse.edit_at(timestamp, drive), (grid, grid), interpolation=cv2.INTER_LINEAR)
        return identity + pulse * self.skin[..., None]


class CompositeEditor(Editor):
    """``pulse`` plans spoof/erase; ``identity`` (None: unavailable) plans deidentify."""

    def __init__(self, pulse: Editor, identity: Editor | None) -> None:
        self.pulse, self.identity = pulse, identity
        self.name = pulse.name if identity is None else f"{pulse.name}+{identity.name}"
        self.backend = pulse.backend

    def plan(self, window: Window, mode: Mode) -> Plan:
        if not mode.deidentify:
            return self.pulse.plan(window, mode)
        if self.identity is None:
            raise PrivacyCamError("deidentify: the de-identification model is unavailable")
        identity = self.identity.plan(window, mode)
        if not mode.edits_pulse:
            return identity
        pulse = self.pulse.plan(window, mode)
        grid = identity.edit_at(identity.made_at, 0.0).shape[0]
        recent = max(1, int(round(window.fps)))
        skin = cv2.resize(window.masks[-recent:].mean(axis=0), (grid, grid), interpolation=cv2.INTER_AREA)
        return SumPlan(identity.made_at, pulse, identity, np.clip(skin, 0.0, 1.0), pulse_hz=pulse.pulse_hz)


def with_identity(pulse: Editor) -> CompositeEditor:
    """``pulse`` combined with the shipped de-identification editor (if its model loads)."""
    from privacycam.editors.deid import DeidEditor

    try:
        identity: Editor | None = DeidEditor()
    except PrivacyCamError as exc:
        log.warning("de-identification editor unavailable (%s); deidentify plans will fail", exc)
        identity = None
    return CompositeEditor(pulse, identity)
