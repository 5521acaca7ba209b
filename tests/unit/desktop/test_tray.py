"""The tray under Xvfb + trayer: icon, tooltip, and the real menu clicked with xdotool."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from privacycam.editors.refine import RefineStats
from privacycam.modes import Mode
from privacycam.stream.stats import StreamStats
from xdisplay import XDisplay, missing_tools, x_display

pytest.importorskip("PySide6", reason="PySide6-Essentials not installed")

DOCS = Path(__file__).resolve().parents[3] / "docs"
UPDATE_DOCS = os.environ.get("PRIVACYCAM_UPDATE_DOCS") == "1"  # copy the screenshots into docs/


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

    def preview_visible(self) -> bool:
        return bool(self.preview) and self.preview[-1]

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
    assert "onnxruntime" in tip and "over budget" not in tip and "refine" not in tip
    assert tile_colour(tray.tray.icon(), 8, 8) == "#2e9d48"
    tray.show()
    refine = RefineStats(plans=3, steps=24, misses=2, step_ms=5.5)
    control.stats_now = StreamStats(
        backend="torch", face_found=False, over_budget=True, fps=12.0, added_latency_ms=41.0, refine=refine
    )
    started = time.monotonic()
    spin(qapp, lambda: "12.0 fps" in tray.tray.toolTip(), 2.5, "tooltip not refreshed within 2.5 s")
    assert time.monotonic() - started > 0.5  # by the timer, not at once
    tip = tray.tray.toolTip()
    assert "no face" in tip and "+41.0 ms" in tip and "torch" in tip and "over budget" in tip
    assert "refine: 24 steps, 5.5 ms/step, 2 late" in tip
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
    tray.refresh()
    assert act["preview"].isChecked()
    act["preview"].trigger()
    assert calls.preview == [True, False] and not act["preview"].isChecked()
    assert calls.reports == 1 and calls.quits == 1



def open_menu(display: XDisplay, app, tray) -> None:
    """Right-click the docked icon near its top (the menu opens above it) and wait for the menu."""
    icon = tray.tray.geometry()
    display.run("xdotool", "mousemove", str(icon.center().x()), str(icon.top() + 5), "click", "3")
    spin(app, tray.menu.isVisible, 5.0, "the tray menu did not open on right click")


def point_at(display: XDisplay, menu, action, click: bool) -> None:
    """Move the pointer onto ``action`` of the open ``menu`` (and click it)."""
    point = menu.mapToGlobal(menu.actionGeometry(action).center())
    display.run("xdotool", "mousemove", str(point.x()), str(point.y()), *(["click", "1"] if click else []))


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


class CountingSink:
    def __init__(self) -> None:
        self.written = 0
        self.closed = False

    def write(self, image) -> None:
        self.written += 1

    def close(self) -> None:
        self.closed = True


def synthetic_stream(mode: Mode, fps: float, on_frame=None):
    from privacycam.editors.spectral import SpectralEditor
    from privacycam.io.sources import SyntheticSource
    from privacycam.config import FilterConfig
    from privacycam.stream.pipeline import FilterPipeline
    from privacycam.stream.runner import StreamRunner

    pipeline = FilterPipeline(SpectralEditor(), mode, FilterConfig(fps=fps, refine_steps=0))
    source = SyntheticSource(320, 240, fps, frames=None, realtime=True)
    return StreamRunner(source, pipeline, CountingSink(), on_frame=on_frame), pipeline


def count_colour(path: Path, colour: str, tolerance: int = 12) -> int:
    """Pixels of the PNG at ``path`` within ``tolerance`` of ``colour`` in each channel."""
    import numpy as np
    from PIL import Image

    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=int)
    return int((np.abs(pixels - target) <= tolerance).all(axis=-1).sum())


def keep(path: Path) -> Path:
    if UPDATE_DOCS:
        DOCS.joinpath(path.name).write_bytes(path.read_bytes())
    return path


def test_real_menu_switches_running_pipeline(qapp, display: XDisplay, tmp_path: Path) -> None:
    """xdotool right-clicks the icon, opens Mode, clicks 90 bpm; the stream never stops."""
    from privacycam.desktop.tray import TrayApp

    seen: list[tuple[int, float, float]] = []  # frame index, timestamp, target phase
    runner, pipeline = synthetic_stream(Mode(spoof=True, target_bpm=75.0), 15.0, None)
    runner.on_frame = lambda frame, result: seen.append((frame.index, frame.timestamp, pipeline.target_phase))
    runner.start()
    tray = TrayApp(pipeline, Callbacks())
    try:
        tray.show()
        spin(qapp, lambda: tray.tray.geometry().y() > 0 and pipeline.stats().face_found, 20.0,
             "icon not docked or no face found in the synthetic stream")
        tray.refresh()
        settle(qapp)
        assert "face found" in tray.tray.toolTip() and "spoof-hr 75" in tray.tray.toolTip()
        shot = keep(display.screenshot(tmp_path / "tray.png", crop=display.panel, zoom=4))
        assert count_colour(shot, "#2e9d48") > 16 * 200  # the green "protecting, face found" tile

        open_menu(display, qapp, tray)
        point_at(display, tray.menu, tray.actions["mode"], click=False)
        submenu = tray.actions["mode"].menu()
        spin(qapp, submenu.isVisible, 5.0, "the Mode submenu did not open on hover")
        settle(qapp)
        shot = keep(display.screenshot(tmp_path / "tray-menu.png"))
        assert count_colour(shot, "#ffffff", 4) > 20_000  # the menu and its submenu are drawn
        out_before = pipeline.stats().frames_out
        point_at(display, submenu, tray.actions["spoof-90"], click=True)
        spin(qapp, lambda: pipeline.mode.target_bpm == 90.0, 5.0, "clicking 90 bpm did not reach the pipeline")
        switched_at = len(seen)
        settle(qapp, 1.5)
        assert not tray.menu.isVisible()
        assert pipeline.mode == Mode(spoof=True, target_bpm=90.0)
        assert pipeline.stats().mode == "spoof-hr 90" and tray.actions["spoof-90"].isChecked()
        assert pipeline.stats().frames_out > out_before + 10 and runner.running
    finally:
        tray.tray.hide()
        runner.stop()
        report = runner.join(10.0)
        pipeline.close()
    assert report is not None and not report.error
    assert report.stats.frames_dropped == 0
    indices = [i for i, _, _ in seen]
    assert indices == list(range(len(seen)))  # one uninterrupted stream, every frame sent
    assert 10 < switched_at < len(seen) - 10
    for (_, t0, p0), (_, t1, p1) in zip(seen, seen[1:]):
        # the phase only advances, at 75..90 bpm (+ HRV): no jump at the switch
        assert 1.1 * (t1 - t0) <= p1 - p0 <= 1.7 * (t1 - t0)


def test_serve_runs_stream_until_ctrl_c(qapp, tmp_path: Path) -> None:
    """serve_stream: stream in a thread, preview shown, Ctrl+C quits through the tray."""
    import signal

    from PySide6.QtCore import QTimer

    from privacycam.cli.tray import serve_stream

    runner, pipeline = synthetic_stream(Mode(), 15.0)
    QTimer.singleShot(2000, lambda: os.kill(os.getpid(), signal.SIGINT))
    assert serve_stream(runner, preview=True, reports=tmp_path) == 0
    assert not runner.running and runner.sink.closed
    assert runner.report.stats.frames_out >= 15 and runner.report.stats.frames_dropped == 0
