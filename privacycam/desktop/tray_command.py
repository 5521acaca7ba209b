"""``privacycam tray``: the live filter (camera → pipeline → virtual camera) with a tray icon.

The stream is built exactly as the live command builds it and runs in a thread; the tray
switches its mode in place. Mode changes are remembered in the settings file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from privacycam.errors import PrivacyCamError
from privacycam.modes import Mode
from privacycam.user_dirs import reports_dir

if TYPE_CHECKING:
    from privacycam.desktop.preview import PreviewWindow
    from privacycam.stream.runner import StreamRunner
    from privacycam.stream.stats import FilterControl

REPORT_SUFFIXES = (".html", ".md", ".json")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tray`` subcommand."""
    from privacycam.live import add_live_arguments

    parser = subparsers.add_parser(
        "tray",
        help="run the live filter with a tray icon (mode, preview, report, quit)",
        description="Run the live filter in the background with a system-tray icon. "
        "The tray's mode choices are remembered for the next start.",
    )
    add_live_arguments(parser)
    parser.add_argument(
        "--reports", type=Path, default=reports_dir(),
        help=f"folder searched for the newest evaluation report (report.html/.md/.json; default: {reports_dir()}, "
        "where eval and demo write theirs)",
    )
    parser.set_defaults(func=run)


def latest_report(root: Path) -> Path | None:
    """The newest ``report.*`` (html, md or json) under ``root``, or None."""
    reports = [p for p in root.rglob("report.*") if p.suffix in REPORT_SUFFIXES and p.is_file()] if root.is_dir() else []
    return max(reports, key=lambda p: p.stat().st_mtime, default=None)


class DesktopCallbacks:
    """The tray's callbacks: Qt preview window, report opener, remembered mode, stop."""

    def __init__(self, runner: StreamRunner, preview: PreviewWindow, reports: Path) -> None:
        self._runner = runner
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
        from privacycam.desktop.settings import remember_mode

        remember_mode(mode)

    def quit(self) -> None:
        self._runner.stop()


def serve(runner: StreamRunner, control: FilterControl, *, preview: bool, reports: Path) -> int:
    """Run ``runner`` in a thread under the tray until Quit; stops and closes it after."""
    from privacycam.desktop.preview import LatestFrame, PreviewWindow
    from privacycam.desktop.tray import ensure_app, run_tray

    ensure_app()
    frames = LatestFrame()
    runner.on_frame = frames.put
    window = PreviewWindow(frames)
    callbacks = DesktopCallbacks(runner, window, reports)
    callbacks.set_preview(preview)
    runner.start()
    try:
        status = run_tray(control, callbacks)
    finally:
        runner.stop()
        report = runner.join(timeout=10.0)
        window.close()
        runner.sink.close()
        runner.pipeline.close()
    if report is not None and report.error:
        raise PrivacyCamError(report.error)
    return status


def run(args: argparse.Namespace) -> int:
    """Check for a desktop with a tray, then build the live stream (its OpenCV preview
    replaced by the tray's) and serve it."""
    from privacycam.desktop.tray import require_tray
    from privacycam.live import build_live_stream, resolve_settings

    require_tray()
    settings = resolve_settings(args)
    runner = build_live_stream(argparse.Namespace(**{**vars(args), "preview": False}))
    return serve(runner, runner, preview=settings.preview, reports=getattr(args, "reports", reports_dir()))
