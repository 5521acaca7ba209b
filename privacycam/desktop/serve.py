"""The desktop around a running stream: tray icon, preview window, last report, remembered mode.

It sees the stream only as a :class:`FilterControl`, a :class:`LatestFrame` the stream
feeds, and the ``start``/``stop`` calls it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from privacycam.modes import Mode

if TYPE_CHECKING:
    from privacycam.desktop.preview import LatestFrame, PreviewWindow
    from privacycam.stream.stats import FilterControl

REPORT_SUFFIXES = (".html", ".md", ".json")


def latest_report(root: Path) -> Path | None:
    """The newest ``report.*`` (html, md or json) under ``root``, or None."""
    reports = [p for p in root.rglob("report.*") if p.suffix in REPORT_SUFFIXES and p.is_file()] if root.is_dir() else []
    return max(reports, key=lambda p: p.stat().st_mtime, default=None)


class DesktopCallbacks:
    """The tray's callbacks: Qt preview window, report opener, remembered mode, stop."""

    def __init__(self, stop: Callable[[], None], preview: PreviewWindow, reports: Path) -> None:
        self._stop = stop
        self._preview = preview
        self._reports = reports

    def set_preview(self, visible: bool) -> None:
        self._preview.setVisible(visible)

    def preview_visible(self) -> bool:
        return self._preview.isVisible()

    def open_report(self) -> bool:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        report = latest_report(self._reports)
        return report is not None and QDesktopServices.openUrl(QUrl.fromLocalFile(str(report.resolve())))

    def mode_changed(self, mode: Mode) -> None:
        from privacycam.app.settings import remember_mode

        remember_mode(mode)

    def quit(self) -> None:
        self._stop()


def serve(
    control: FilterControl,
    frames: LatestFrame,
    *,
    start: Callable[[], None],
    stop: Callable[[], None],
    preview: bool,
    reports: Path,
) -> int:
    """Show the tray (and the preview of ``frames`` if ``preview``), ``start`` the stream and
    wait until Quit or Ctrl+C; ``stop`` the stream after."""
    from privacycam.desktop.preview import PreviewWindow
    from privacycam.desktop.tray import ensure_app, run_tray

    ensure_app()
    window = PreviewWindow(frames)
    callbacks = DesktopCallbacks(stop, window, reports)
    callbacks.set_preview(preview)
    start()
    try:
        return run_tray(control, callbacks)
    finally:
        stop()
        window.close()
