"""``privacycam tray`` pieces that need no display: flags, last report, remembered mode, stop."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from privacycam.app import settings as st
from privacycam.cli.tray import register
from privacycam.desktop.serve import DesktopCallbacks, latest_report
from privacycam.modes import Mode


def test_register_adds_tray_with_live_flags() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["tray", "--mode", "spoof-hr", "90", "--width", "320", "--reports", "r"])
    assert args.mode == ["spoof-hr", "90"] and args.width == 320 and args.reports == Path("r")
    assert args.preview is None and args.func.__module__ == "privacycam.cli.tray"


def test_latest_report_is_the_newest(tmp_path: Path) -> None:
    assert latest_report(tmp_path / "missing") is None
    older, newer = tmp_path / "a" / "report.html", tmp_path / "b" / "c" / "report.md"
    for i, path in enumerate((older, newer, tmp_path / "report.txt")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        os.utime(path, (1000 + i, 1000 + i))
    assert latest_report(tmp_path) == newer


class StopRecorder:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_callbacks_remember_mode_and_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(st.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    runner = StopRecorder()
    callbacks = DesktopCallbacks(runner.stop, preview=None, reports=tmp_path)
    callbacks.mode_changed(Mode(erase=True, deidentify=True, target_bpm=64.0))
    assert st.load_settings() == st.Settings(mode="deidentify+erase", target_bpm=64.0)
    assert callbacks.open_report() is False
    callbacks.quit()
    assert runner.stopped


def test_tray_without_a_display_says_so_before_opening_the_camera(monkeypatch: pytest.MonkeyPatch) -> None:
    from privacycam.app import live
    from privacycam.cli import tray
    from privacycam.errors import PrivacyCamError

    monkeypatch.setattr(st.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    def camera_opened(*_args, **_kwargs):
        raise AssertionError("the camera was opened before the display was checked")

    monkeypatch.setattr(live, "open_live_stream", camera_opened)
    with pytest.raises(PrivacyCamError, match="no display is set.*without --tray"):
        tray.run(argparse.Namespace(mode=None, camera=None, preview=None))
