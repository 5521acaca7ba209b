"""Editors made of editors: one editor that plans with whichever parts the mode asks for
(the pulse editor that measures best for it, de-identification) and sums their edits, so
mode switches (tray, CLI) need no new editor."""

from __future__ import annotations

import logging
from collections.abc import Callable
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

    @property
    def flow(self) -> np.ndarray | None:
        return self.identity.flow

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        identity = self.identity.edit_at(timestamp, drive)
        grid = identity.shape[0]
        pulse = cv2.resize(self.pulse.edit_at(timestamp, drive), (grid, grid), interpolation=cv2.INTER_LINEAR)
        return identity + pulse * self.skin[..., None]


class ByModeEditor(Editor):
    """``spoof`` plans spoof-hr, ``erase`` plans erase: each mode gets the pulse editor that
    measures best for it (docs/benchmarks.md, "Erase" and "Spoof-hr on six clips")."""

    def __init__(self, spoof: Editor, erase: Editor) -> None:
        self.spoof, self.erase = spoof, erase
        self.name = spoof.name if spoof.name == erase.name else f"{spoof.name} (spoof-hr), {erase.name} (erase)"
        self.backend = spoof.backend

    def plan(self, window: Window, mode: Mode) -> Plan:
        return (self.erase if mode.erase else self.spoof).plan(window, mode)


class CompositeEditor(Editor):
    """``pulse`` plans spoof/erase; the identity editor plans deidentify.

    The identity editor (a torch/ONNX model) is built by ``identity_factory`` on the first
    deidentify plan, in the planner thread, so pulse-only streams never load it.
    """

    def __init__(self, pulse: Editor, identity_factory: Callable[[], Editor]) -> None:
        self.pulse = pulse
        self.name = pulse.name
        self.backend = pulse.backend
        self._identity_factory = identity_factory
        self._identity: Editor | None = None
        self._identity_error = ""

    def identity(self) -> Editor:
        """The identity editor, loaded once; a load failure is remembered and re-raised."""
        if self._identity is None and not self._identity_error:
            try:
                self._identity = self._identity_factory()
            except PrivacyCamError as exc:
                self._identity_error = str(exc)
                log.warning("de-identification editor unavailable (%s)", exc)
        if self._identity is None:
            raise PrivacyCamError(f"deidentify: the de-identification model is unavailable ({self._identity_error})")
        return self._identity

    def plan(self, window: Window, mode: Mode) -> Plan:
        if not mode.deidentify:
            return self.pulse.plan(window, mode)
        identity = self.identity().plan(window, mode)
        if not mode.edits_pulse:
            return identity
        pulse = self.pulse.plan(window, mode)
        grid = identity.edit_at(identity.made_at, 0.0).shape[0]
        recent = max(1, int(round(window.fps)))
        skin = cv2.resize(window.masks[-recent:].mean(axis=0), (grid, grid), interpolation=cv2.INTER_AREA)
        return SumPlan(identity.made_at, pulse, identity, np.clip(skin, 0.0, 1.0), pulse_hz=pulse.pulse_hz)


def with_identity(pulse: Editor) -> CompositeEditor:
    """``pulse`` combined with the shipped de-identification editor (loaded when first needed)."""

    def load_identity() -> Editor:
        from privacycam.editors.deid import DeidEditor

        return DeidEditor()

    return CompositeEditor(pulse, load_identity)
