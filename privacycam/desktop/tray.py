"""The tray icon: on/off, mode and target rate, preview, last report, quit.

It talks only to a running filter's :class:`FilterControl` and a :class:`TrayCallbacks`
object; switching mode calls ``control.set_mode`` and never restarts the stream. The icon
shows the state (colour: off grey, protecting green, no face amber; red badge: over
budget) and the tooltip the stream's health, both refreshed about once a second.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, replace
from functools import partial
from typing import Callable, Protocol

from privacycam.errors import DependencyMissingError, PrivacyCamError
from privacycam.modes import MAX_BPM, MIN_BPM, Mode
from privacycam.stream.stats import FilterControl, StreamStats

try:
    from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
    from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPen, QPixmap
    from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QSystemTrayIcon
except ImportError as exc:  # pragma: no cover - exercised only without PySide6
    raise DependencyMissingError(
        "the tray needs PySide6: pip install PySide6-Essentials (and on Linux apt install libxcb-cursor0)"
    ) from exc

PRESET_BPMS = (60.0, 75.0, 90.0)
REFRESH_MS = 1000
DEFAULT_ON = Mode(spoof=True, target_bpm=75.0)


class TrayCallbacks(Protocol):
    """What the tray asks of the application besides the filter itself."""

    def set_preview(self, visible: bool) -> None:
        """Show or hide the preview window."""

    def preview_visible(self) -> bool:
        """Whether the preview window is shown (the user may close it)."""

    def open_report(self) -> bool:
        """Open the last evaluation report; False when there is none."""

    def mode_changed(self, mode: Mode) -> None:
        """The user picked ``mode`` (already applied); e.g. remember it."""

    def quit(self) -> None:
        """Stop the stream; the tray's event loop ends after this returns."""


@dataclass(frozen=True)
class IconState:
    """What the icon shows."""

    on: bool
    face: bool
    over_budget: bool


def icon_state(mode: Mode, stats: StreamStats) -> IconState:
    """The icon's state for a mode and a stats snapshot."""
    return IconState(on=not mode.is_off, face=stats.face_found, over_budget=stats.over_budget)


def tooltip_text(mode: Mode, stats: StreamStats) -> str:
    """The tooltip: mode, face status, fps, added latency, backend and refine."""
    face = f"face found ({stats.face_count})" if stats.face_found else "no face: frames pass unedited"
    lines = [
        f"PrivacyCam: {mode.label()}",
        face if not mode.is_off else "filter off: camera passes through",
        f"{stats.fps:.1f} fps, +{stats.added_latency_ms:.1f} ms, backend {stats.backend}",
    ]
    if stats.refine is not None and not mode.is_off:
        r = stats.refine
        lines.append(f"refine: {r.steps} steps, {r.step_ms:.1f} ms/step, {r.misses} late (unrefined plan used)")
    if stats.over_budget:
        lines.append("over budget: some frames are not protected")
    return "\n".join(lines)


_COLOURS = {"off": "#8a8a8a", "face": "#2e9d48", "no_face": "#e8a317", "badge": "#d7263d"}


def render_icon(state: IconState, size: int = 64) -> QPixmap:
    """Draw the icon: a rounded tile with a pulse trace, coloured by state, badge if over budget."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    colour = _COLOURS["off"] if not state.on else _COLOURS["face" if state.face else "no_face"]
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawRoundedRect(QRectF(2 * s, 2 * s, 60 * s, 60 * s), 12 * s, 12 * s)
    trace = [(6, 34), (18, 34), (23, 24), (29, 46), (35, 14), (41, 40), (45, 34), (58, 34)]
    p.setPen(QPen(QColor("white"), 5 * s, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.drawPolyline([QPointF(x * s, y * s) for x, y in trace])
    if not state.on:  # struck through: nothing is protected
        p.drawLine(QPointF(12 * s, 52 * s), QPointF(52 * s, 12 * s))
    if state.over_budget:
        p.setPen(QPen(QColor("white"), 3 * s))
        p.setBrush(QColor(_COLOURS["badge"]))
        p.drawEllipse(QRectF(34 * s, 34 * s, 28 * s, 28 * s))
    p.end()
    return pixmap


def ask_bpm_dialog(current: float) -> float | None:
    """Ask for a custom target rate; None when cancelled."""
    value, ok = QInputDialog.getDouble(None, "PrivacyCam", "Target heart rate (bpm):", current, MIN_BPM, MAX_BPM, 0)
    return float(value) if ok else None


class TrayApp(QObject):
    """The tray icon and its menu, bound to a running filter."""

    def __init__(
        self,
        control: FilterControl,
        callbacks: TrayCallbacks,
        *,
        ask_bpm: Callable[[float], float | None] = ask_bpm_dialog,
    ) -> None:
        super().__init__()
        self.control = control
        self._callbacks = callbacks
        self._ask_bpm = ask_bpm
        self._last_on = control.mode if not control.mode.is_off else DEFAULT_ON
        self._state: IconState | None = None
        self.menu = QMenu()
        self.actions: dict[str, QAction] = {}
        self._build_menu()
        self.tray = QSystemTrayIcon()
        self.tray.setContextMenu(self.menu)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self.refresh()

    def _add(self, menu: QMenu, key: str, text: str, handler: Callable[[bool], None], checkable: bool = False) -> QAction:
        action = menu.addAction(text)
        action.setCheckable(checkable)
        action.triggered.connect(handler)
        self.actions[key] = action
        return action

    def _build_menu(self) -> None:
        self._add(self.menu, "on", "Protection on", self._toggle_on, checkable=True)
        modes = self.menu.addMenu("Mode")
        self.actions["mode"] = modes.menuAction()
        group = QActionGroup(self)
        for bpm in PRESET_BPMS:
            handler = partial(self._pick_pulse, Mode(spoof=True, target_bpm=bpm))
            group.addAction(self._add(modes, f"spoof-{bpm:g}", f"Spoof heart rate: {bpm:g} bpm", handler, True))
        group.addAction(self._add(modes, "custom", "Spoof heart rate: custom…", self._pick_custom, True))
        group.addAction(self._add(modes, "erase", "Erase pulse", partial(self._pick_pulse, Mode(erase=True)), True))
        group.addAction(self._add(modes, "keep", "Keep real pulse", partial(self._pick_pulse, Mode()), True))
        modes.addSeparator()
        self._add(modes, "deidentify", "De-identify face", self._toggle_deidentify, checkable=True)
        self._add(self.menu, "preview", "Preview window", self._callbacks.set_preview, checkable=True)
        self._add(self.menu, "report", "Open last evaluation report", self._open_report)
        self.menu.addSeparator()
        self._add(self.menu, "quit", "Quit", self.quit)

    def show(self) -> None:
        """Show the icon and start the 1 Hz refresh."""
        self.tray.show()
        self._timer.start(REFRESH_MS)

    def apply(self, mode: Mode) -> None:
        """Switch the running filter to ``mode`` and tell the callbacks."""
        self.control.set_mode(mode)
        if not mode.is_off:
            self._last_on = mode
        self._callbacks.mode_changed(mode)
        self.refresh()

    def _pick_pulse(self, pulse: Mode, _checked: bool = False) -> None:
        current = self.control.mode
        bpm = pulse.target_bpm if pulse.spoof else current.target_bpm
        self.apply(replace(pulse, deidentify=current.deidentify, target_bpm=bpm))

    def _pick_custom(self, _checked: bool = False) -> None:
        bpm = self._ask_bpm(self.control.mode.target_bpm)
        if bpm is None:
            self.refresh()
        else:
            self._pick_pulse(Mode(spoof=True, target_bpm=bpm))

    def _toggle_deidentify(self, checked: bool) -> None:
        self.apply(replace(self.control.mode, deidentify=checked))

    def _toggle_on(self, checked: bool) -> None:
        self.apply(self._last_on if checked else Mode(target_bpm=self.control.mode.target_bpm))

    def _open_report(self, _checked: bool = False) -> None:
        if not self._callbacks.open_report():
            self.tray.showMessage("PrivacyCam", "No evaluation report yet: run `privacycam eval` first.")

    def quit(self, _checked: bool = False) -> None:
        """Stop the stream and leave the event loop."""
        self._timer.stop()
        self._callbacks.quit()
        self.tray.hide()
        QApplication.quit()

    def refresh(self) -> None:
        """Re-read mode and stats: icon, tooltip and check marks."""
        mode, stats = self.control.mode, self.control.stats()
        state = icon_state(mode, stats)
        if state != self._state:
            self.tray.setIcon(QIcon(render_icon(state)))
            self._state = state
        self.tray.setToolTip(tooltip_text(mode, stats))
        self._sync_checks(mode)
        self.actions["preview"].setChecked(self._callbacks.preview_visible())

    def _sync_checks(self, mode: Mode) -> None:
        self.actions["on"].setChecked(not mode.is_off)
        self.actions["deidentify"].setChecked(mode.deidentify)
        custom = mode.spoof and mode.target_bpm not in PRESET_BPMS
        self.actions["custom"].setText(
            f"Spoof heart rate: custom ({mode.target_bpm:g} bpm)…" if custom else "Spoof heart rate: custom…"
        )
        if mode.erase:
            key = "erase"
        elif mode.spoof:
            key = "custom" if custom else f"spoof-{mode.target_bpm:g}"
        else:
            key = "keep"
        self.actions[key].setChecked(True)


def ensure_app() -> QApplication:
    """The process's QApplication (created once); closing windows does not quit it."""
    app = QApplication.instance() or QApplication(["privacycam"])
    app.setQuitOnLastWindowClosed(False)
    return app


def require_tray() -> QApplication:
    """The QApplication, once a display and a system tray are known to be there; else a
    PrivacyCamError that says what to do (checked before the camera is opened)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise PrivacyCamError(
            "the tray needs a desktop session, and no display is set (DISPLAY / WAYLAND_DISPLAY): "
            "run it from the desktop, or run `privacycam` without --tray"
        )
    app = ensure_app()
    if not QSystemTrayIcon.isSystemTrayAvailable():
        raise PrivacyCamError(
            "no system tray found: start a desktop panel (or `trayer`) first, or run `privacycam` without --tray"
        )
    return app


def run_tray(control: FilterControl, callbacks: TrayCallbacks) -> int:
    """Show the tray for a running filter until Quit (or Ctrl+C); returns the exit status."""
    app = require_tray()
    tray = TrayApp(control, callbacks)
    tray.show()
    previous = signal.signal(signal.SIGINT, lambda *_: tray.quit())
    wake = QTimer()  # lets Python run its signal handlers while Qt waits
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        return app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
