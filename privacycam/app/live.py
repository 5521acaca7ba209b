"""The live filter's stream: camera → filter → virtual camera "PrivacyCam" (+ preview, MJPEG)."""

from __future__ import annotations

import logging
from dataclasses import replace

from privacycam.app.settings import Settings
from privacycam.app.stream import build_stream
from privacycam.config import FilterConfig
from privacycam.errors import PrivacyCamError
from privacycam.modes import Mode
from privacycam.stream.runner import StreamRunner

log = logging.getLogger(__name__)


def open_live_stream(
    settings: Settings,
    mode: Mode,
    config: FilterConfig,
    editor: str = "auto",
    *,
    virtual_camera: bool = True,
    stats_every_s: float | None = None,
) -> StreamRunner:
    """Open the camera and the outputs ``settings`` name (the virtual camera unless
    ``virtual_camera`` is False) and build the stream at the camera's frame rate; the
    runner (also the stream's control: mode, set_mode, stats) is not started."""
    from privacycam.io.mjpeg import MjpegServerSink
    from privacycam.io.sinks import PreviewSink, TeeSink, VirtualCameraSink
    from privacycam.io.sources import CameraSource

    runner: StreamRunner | None = None

    def camera_status(status: str, message: str) -> None:
        log.warning("camera %s: %s", status, message)
        if runner is not None:  # the tray tooltip and --stats show it too
            runner.pipeline.notify(f"camera {status}: {message}")

    source = CameraSource(settings.camera, settings.width, settings.height, settings.fps, on_status=camera_status)
    width, height = source.size
    sinks = []
    try:
        if virtual_camera:
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
    config = replace(config, fps=source.fps, on_failure=settings.on_failure)
    runner = build_stream(source, TeeSink(*sinks), mode, config, editor, stats_every_s=stats_every_s)
    editor_in_use = runner.pipeline.editor
    log.info(
        "PrivacyCam live: camera %s %dx%d@%g, mode %s, editor %s (%s)",
        settings.camera, width, height, source.fps, mode.label(), editor_in_use.name, editor_in_use.backend,
    )
    return runner


def list_cameras() -> list[str]:
    """The cameras that open, one line each: index, name, device path."""
    from privacycam.io.sources import list_cameras as cameras

    return [f"{camera.index}\t{camera.name}\t{camera.path or ''}" for camera in cameras()]
