"""``privacycam tray``: the live filter (camera → filter → virtual camera) with a tray icon.

The stream is built exactly as the live command builds it and runs in a thread; the tray
switches its mode in place. Mode changes are remembered in the settings file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from privacycam.cli.options import add_live_arguments, filter_config, live_settings
from privacycam.errors import PrivacyCamError
from privacycam.user_dirs import reports_dir

if TYPE_CHECKING:
    from privacycam.stream.runner import StreamRunner


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tray`` subcommand."""
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


def serve_stream(runner: StreamRunner, *, preview: bool, reports: Path) -> int:
    """Run ``runner`` in a thread under the tray until Quit; stops and closes it after."""
    from privacycam.desktop.preview import LatestFrame
    from privacycam.desktop.serve import serve

    frames = LatestFrame()
    runner.on_frame = lambda _frame, result: frames.put(result.image)
    try:
        status = serve(runner, frames, start=runner.start, stop=runner.stop, preview=preview, reports=reports)
    finally:
        runner.stop()
        report = runner.join(timeout=10.0)
        runner.sink.close()
        runner.pipeline.close()
    if report is not None and report.error:
        raise PrivacyCamError(report.error)
    return status


def run(args: argparse.Namespace) -> int:
    """Check for a desktop with a tray, then build the live stream (its OpenCV preview
    replaced by the tray's) and serve it."""
    from dataclasses import replace

    from privacycam.app.live import open_live_stream
    from privacycam.desktop.tray import require_tray

    require_tray()
    settings, mode = live_settings(args)
    runner = open_live_stream(
        replace(settings, preview=False), mode, filter_config(args), getattr(args, "editor", "auto"),
        virtual_camera=not getattr(args, "no_virtual_camera", False),
        stats_every_s=2.0 if getattr(args, "stats", False) else None,
    )
    return serve_stream(runner, preview=settings.preview, reports=getattr(args, "reports", reports_dir()))
