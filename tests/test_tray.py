"""The tray under Xvfb + trayer: icon, tooltip, and the real menu clicked with xdotool."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from privacycam.modes import Mode
from privacycam.stream.stats import StreamStats
from xdisplay import XDisplay, missing_tools, x_display

pytest.importorskip("PySide6", reason="PySide6-Essentials not installed")

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def display() -> Iterator[XDisplay]:
    missing = missing_tools()
    if "Xvfb" in missing:
        pytest.skip("Xvfb is not installed (apt install xvfb); the tray needs an X server")
    assert not missing, f"install {missing} (see .ci/apt-packages.txt)"
    with x_display() as disp:
        yield disp


@pytest.fixture(scope="module")
def qapp(display: XDisplay):
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
    os.environ.update(DISPLAY=display.name, QT_QPA_PLATFORM="xcb")
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    app = QApplication.instance() or QApplication(["privacycam-test"])
    app.setStyle("Fusion")
    app.setQuitOnLastWindowClosed(False)
    spin(app, QSystemTrayIcon.isSystemTrayAvailable, 5.0, "trayer never offered a system tray")
    yield app
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def spin(app, done: Callable[[], bool], timeout: float, what: str) -> None:
    """Run Qt's event loop until ``done()`` or fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < end, what
        app.processEvents()
        time.sleep(0.01)


class FakeControl:
    """A FilterControl that returns whatever stats the test sets."""

    def __init__(self, mode: Mode, stats: StreamStats) -> None:
        self.mode = mode
        self.stats_now = stats

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode

    def stats(self) -> StreamStats:
        return self.stats_now


class Callbacks:
    """Records what the tray asked for."""

    def __init__(self) -> None:
        self.preview: list[bool] = []
        self.modes: list[Mode] = []
        self.reports = 0
        self.quits = 0

    def set_preview(self, visible: bool) -> None:
        self.preview.append(visible)

    def open_report(self) -> bool:
        self.reports += 1
        return False

    def mode_changed(self, mode: Mode) -> None:
        self.modes.append(mode)

    def quit(self) -> None:
        self.quits += 1


def tile_colour(pixmap_or_icon, x: int, y: int) -> str:
    image = (pixmap_or_icon.pixmap(64, 64) if hasattr(pixmap_or_icon, "pixmap") else pixmap_or_icon).toImage()
    return image.pixelColor(x, y).name()


def test_icon_colour_and_badge_follow_state(qapp) -> None:
    from privacycam.desktop.tray import IconState, render_icon

    assert tile_colour(render_icon(IconState(on=False, face=True, over_budget=False)), 8, 8) == "#8a8a8a"
    assert tile_colour(render_icon(IconState(on=True, face=True, over_budget=False)), 8, 8) == "#2e9d48"
    assert tile_colour(render_icon(IconState(on=True, face=False, over_budget=False)), 8, 8) == "#e8a317"
    assert tile_colour(render_icon(IconState(on=True, face=True, over_budget=True)), 50, 52) == "#d7263d"
    assert tile_colour(render_icon(IconState(on=True, face=True, over_budget=False)), 50, 52) == "#2e9d48"


def test_tooltip_and_icon_reflect_stats_at_1hz(qapp) -> None:
    from privacycam.desktop.tray import TrayApp

    stats = StreamStats(backend="onnxruntime", face_found=True, face_count=1, fps=29.7, added_latency_ms=4.2)
    control = FakeControl(Mode(spoof=True, target_bpm=75.0), stats)
    tray = TrayApp(control, Callbacks())
    tip = tray.tray.toolTip()
    assert "spoof-hr 75" in tip and "face found" in tip and "29.7 fps" in tip and "+4.2 ms" in tip
    assert "onnxruntime" in tip and "over budget" not in tip
    assert tile_colour(tray.tray.icon(), 8, 8) == "#2e9d48"
    tray.show()
    control.stats_now = StreamStats(backend="torch", face_found=False, over_budget=True, fps=12.0, added_latency_ms=41.0)
    started = time.monotonic()
    spin(qapp, lambda: "12.0 fps" in tray.tray.toolTip(), 2.5, "tooltip not refreshed within 2.5 s")
    assert time.monotonic() - started > 0.5  # by the timer, not at once
    tip = tray.tray.toolTip()
    assert "no face" in tip and "+41.0 ms" in tip and "torch" in tip and "over budget" in tip
    assert tile_colour(tray.tray.icon(), 8, 8) == "#e8a317"
    assert tile_colour(tray.tray.icon(), 50, 52) == "#d7263d"
    tray.tray.hide()


def test_menu_actions_switch_mode_without_restart(qapp) -> None:
    from privacycam.desktop.tray import TrayApp

    asked: list[float] = []
    answers = [110.0, None]
    control = FakeControl(Mode(), StreamStats())
    calls = Callbacks()
    tray = TrayApp(control, calls, ask_bpm=lambda bpm: asked.append(bpm) or answers.pop(0))
    act = tray.actions
    assert not act["on"].isChecked() and act["keep"].isChecked()
    act["spoof-60"].trigger()
    assert control.mode == Mode(spoof=True, target_bpm=60.0) and act["on"].isChecked()
    act["deidentify"].trigger()
    assert control.mode == Mode(spoof=True, deidentify=True, target_bpm=60.0)
    act["custom"].trigger()
    assert asked == [60.0] and control.mode == Mode(spoof=True, deidentify=True, target_bpm=110.0)
    assert act["custom"].isChecked() and "110 bpm" in act["custom"].text()
    act["custom"].trigger()  # cancelled: nothing changes
    assert control.mode.target_bpm == 110.0 and act["custom"].isChecked()
    act["erase"].trigger()
    assert control.mode == Mode(erase=True, deidentify=True, target_bpm=110.0)
    act["on"].trigger()
    assert control.mode.is_off and act["keep"].isChecked() and not act["deidentify"].isChecked()
    act["on"].trigger()
    assert control.mode == Mode(erase=True, deidentify=True, target_bpm=110.0)
    assert calls.modes[-1] == control.mode and len(calls.modes) == 6
    act["preview"].trigger()
    act["report"].trigger()
    act["quit"].trigger()
    assert calls.preview == [True] and calls.reports == 1 and calls.quits == 1
