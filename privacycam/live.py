"""The live filter: camera → pipeline → virtual camera "PrivacyCam" (+ preview, MJPEG)."""

from __future__ import annotations

import argparse
import logging
import signal
from typing import TYPE_CHECKING

from privacycam.desktop.settings import Settings, load_settings, merge, mode_name, remember_mode
from privacycam.errors import PrivacyCamError
from privacycam.modes import parse_mode
from privacycam.options import add_filter_arguments, make_editor, mode_from_args, pipeline_settings

if TYPE_CHECKING:
    from privacycam.stream.pipeline import FilterPipeline
    from privacycam.stream.runner import StreamRunner

log = logging.getLogger(__name__)


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the live filter (also used by ``privacycam tray``)."""
    add_filter_arguments(parser, default_mode=None)
    parser.add_argument("--list-cameras", action="store_true", help="list the cameras that can be opened and exit")
    parser.add_argument("--camera", help="camera index or device path (default: remembered, else 0)")
    parser.add_argument("--width", type=int, help="capture width (default: remembered, else 640)")
    parser.add_argument("--height", type=int, help="capture height (default: remembered, else 480)")
    parser.add_argument("--fps", type=int, help="capture frame rate (default: remembered, else 30)")
    parser.add_argument("--preview", action="store_true", default=None, help="show a preview window")
    parser.add_argument("--mjpeg-port", type=int, help="also serve the output as MJPEG on 127.0.0.1:PORT")
    parser.add_argument("--no-virtual-camera", action="store_true", help="do not open the virtual camera")
    parser.add_argument("--stats", action="store_true", help="log a health line every 2 seconds")
    parser.add_argument("--tray", action="store_true", help="run with the tray icon")


def resolve_settings(args: argparse.Namespace) -> Settings:
    """Remembered settings with the command-line flags on top."""
    overrides = {k: getattr(args, k, None) for k in ("camera", "width", "height", "fps", "on_failure", "mjpeg_port", "preview")}
    if getattr(args, "mode", None):
        mode = mode_from_args(args.mode)
        overrides["mode"] = mode_name(mode)
        overrides["target_bpm"] = mode.target_bpm
    return merge(load_settings(), overrides)


def build_live_stream(args: argparse.Namespace) -> StreamRunner:
    """Open camera, pipeline and sinks as the live command does; the runner (also the
    stream's control: mode, set_mode, stats) is not started."""
    from privacycam.io.mjpeg import MjpegServerSink
    from privacycam.io.sinks import PreviewSink, TeeSink, VirtualCameraSink
    from privacycam.io.sources import CameraSource
    from privacycam.stream.pipeline import FilterPipeline, PipelineConfig
    from privacycam.stream.runner import StreamRunner

    settings = resolve_settings(args)
    mode = parse_mode(settings.mode, settings.target_bpm)
    pipeline: FilterPipeline | None = None

    def camera_status(status: str, message: str) -> None:
        log.warning("camera %s: %s", status, message)
        if pipeline is not None:  # the tray tooltip and --stats show it too
            pipeline.notify(f"camera {status}: {message}")

    source = CameraSource(settings.camera, settings.width, settings.height, settings.fps, on_status=camera_status)
    width, height = source.size
    sinks = []
    try:
        if not getattr(args, "no_virtual_camera", False):
            sinks.append(VirtualCameraSink(width, height, source.fps))
        if settings.preview:
            sinks.append(PreviewSink())
        if settings.mjpeg_port:
            sinks.append(MjpegServerSink(port=settings.mjpeg_port))
            log.info("MJPEG stream at http://127.0.0.1:%d/stream.mjpg", settings.mjpeg_port)
        if not sinks:
            raise PrivacyCamError("no output: enable the virtual camera, --preview or --mjpeg-port")
    except Exception:
        source.close()
        for sink in sinks:
            sink.close()
        raise
    config = PipelineConfig(
        fps=source.fps, on_failure=settings.on_failure, seed=getattr(args, "seed", 0), **pipeline_settings(args)
    )
    pipeline = FilterPipeline(make_editor(getattr(args, "editor", "auto")), mode, config)
    runner = StreamRunner(source, pipeline, TeeSink(*sinks), stats_every_s=2.0 if getattr(args, "stats", False) else None)
    log.info(
        "PrivacyCam live: camera %s %dx%d@%g, mode %s, editor %s (%s)",
        settings.camera, width, height, source.fps, mode.label(), pipeline.editor.name, pipeline.editor.backend,
    )
    return runner


def list_cameras_command() -> int:
    """Print the cameras that open, one per line."""
    from privacycam.io.sources import list_cameras

    cameras = list_cameras()
    if not cameras:
        print("no camera found (a virtual camera named PrivacyCam is not listed: it is the output)")
        return 1
    for camera in cameras:
        print(f"{camera.index}\t{camera.name}\t{camera.path or ''}")
    return 0


def run(args: argparse.Namespace) -> int:
    if getattr(args, "list_cameras", False):
        return list_cameras_command()
    if getattr(args, "tray", False):
        from privacycam.desktop.tray_command import run as run_tray

        return run_tray(args)
    runner = build_live_stream(args)
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
