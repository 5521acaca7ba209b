"""``privacycam`` with no command: the live filter (its options are in :mod:`privacycam.cli.options`)."""

from __future__ import annotations

import argparse
import logging
import signal

from privacycam.cli.options import filter_config, live_settings
from privacycam.errors import PrivacyCamError

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """List the cameras, hand over to the tray, or filter the camera until Ctrl-C."""
    from privacycam.app.live import list_cameras, open_live_stream
    from privacycam.app.settings import remember_mode

    if getattr(args, "list_cameras", False):
        cameras = list_cameras()
        if not cameras:
            print("no camera found (a virtual camera named PrivacyCam is not listed: it is the output)")
            return 1
        print("\n".join(cameras))
        return 0
    if getattr(args, "tray", False):
        from privacycam.cli.tray import run as run_tray

        return run_tray(args)
    settings, mode = live_settings(args)
    runner = open_live_stream(
        settings, mode, filter_config(args), getattr(args, "editor", "auto"),
        virtual_camera=not getattr(args, "no_virtual_camera", False),
        stats_every_s=2.0 if getattr(args, "stats", False) else None,
    )
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    try:
        report = runner.run()
    finally:
        runner.sink.close()
        runner.pipeline.close()
    remember_mode(runner.mode)
    log.info("stopped: %s", report.stats.line())
    if report.error:
        raise PrivacyCamError(report.error)
    return 0
