"""Frame sinks: where filtered frames go (a file, the virtual camera, a preview window,
a local MJPEG stream, several at once). The MJPEG server's code lives in
:mod:`privacycam.io.mjpeg` and the interface in :mod:`privacycam.io.frame_sink`; both
are importable from here."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from privacycam.errors import DependencyMissingError, VideoOutputError
from privacycam.frames import as_bgr
from privacycam.io.frame_sink import FrameSink
from privacycam.io.mjpeg import DEFAULT_PORT, MjpegServerSink
from privacycam.io.v4l2 import MODPROBE_COMMAND, virtual_camera_device
from privacycam.io.video_files import VideoFileSink

__all__ = [
    "FrameSink",
    "MjpegServerSink",
    "PreviewSink",
    "TeeSink",
    "VideoFileSink",
    "VirtualCameraSink",
    "no_device_hint",
    "open_sink",
]


# --------------------------------------------------------------------------- virtual camera


def no_device_hint(system: str | None = None) -> str:
    """What to do when no virtual camera device exists, for ``system`` (default: this one)."""
    if (system or platform.system()) == "Linux":
        return f"load the v4l2loopback module: {MODPROBE_COMMAND} (more: privacycam setup-camera)"
    return (
        "install OBS Studio, click 'Start Virtual Camera' once so the 'OBS Virtual Camera' "
        "device is registered, then stop it (more: privacycam setup-camera)"
    )


class VirtualCameraSink(FrameSink):
    """Sends frames to the virtual camera that video apps see (pyvirtualcam, BGR input).

    Linux uses v4l2loopback; with ``device=None`` the device labelled PrivacyCam is
    preferred, else pyvirtualcam picks any loopback device. Windows and macOS use OBS
    Virtual Camera. Frames of another size are resized to (width, height) and counted.
    """

    def __init__(self, width: int, height: int, fps: float, device: str | None = None) -> None:
        try:
            import pyvirtualcam
        except ImportError as err:
            raise DependencyMissingError("pyvirtualcam is not installed: pip install pyvirtualcam") from err
        if device is None and platform.system() == "Linux":
            found = virtual_camera_device()
            device = str(found.path) if found is not None and found.exists else None
        self.size = (int(width), int(height))
        self.frames_sent = 0
        try:
            self._camera = pyvirtualcam.Camera(
                self.size[0], self.size[1], fps, fmt=pyvirtualcam.PixelFormat.BGR, device=device
            )
        except (RuntimeError, OSError) as err:
            reason = " ".join(str(err).split())
            raise VideoOutputError(f"no virtual camera available ({reason}); {no_device_hint()}") from err
        self.device: str = self._camera.device

    def write(self, image: np.ndarray) -> None:
        if self._camera is None:
            raise VideoOutputError(f"virtual camera {self.device}: write after close")
        try:
            self._camera.send(self._fit(image, self.size))
        except (RuntimeError, OSError) as err:
            raise VideoOutputError(f"virtual camera {self.device} stopped accepting frames: {err}") from err
        self.frames_sent += 1

    def close(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None


# --------------------------------------------------------------------------- preview window


class PreviewSink(FrameSink):
    """Shows frames in a window without blocking. Closing the window (or pressing Esc
    or q in it) closes the sink: further writes are ignored and ``closed`` turns True."""

    TITLE = "PrivacyCam preview"

    def __init__(self, title: str = TITLE) -> None:
        if platform.system() == "Linux" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise VideoOutputError(
                "no display for the preview window (DISPLAY is not set); send to the virtual camera, "
                "a file or the MJPEG stream instead"
            )
        self.title = title
        self.closed = False
        self._shown = False
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        except cv2.error as err:
            raise VideoOutputError(f"cannot open the preview window: {err}") from err

    def write(self, image: np.ndarray) -> None:
        if self.closed:
            return
        if self._shown and not self._visible():
            self.close()
            return
        cv2.imshow(self.title, as_bgr(image))
        self._shown = True
        if (cv2.waitKey(1) & 0xFF) in (27, ord("q")):
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass  # the user already closed it

    def _visible(self) -> bool:
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:
            return False


# --------------------------------------------------------------------------- several


class TeeSink(FrameSink):
    """Writes every frame to each sink; close/abort reach all of them even if one fails
    (the first failure is raised afterwards)."""

    def __init__(self, *sinks: FrameSink) -> None:
        self.sinks = sinks

    def write(self, image: np.ndarray) -> None:
        for sink in self.sinks:
            sink.write(image)

    def close(self) -> None:
        self._each(lambda sink: sink.close())

    def abort(self) -> None:
        self._each(lambda sink: sink.abort())

    def _each(self, action: Callable[[FrameSink], None]) -> None:
        errors: list[Exception] = []
        for sink in self.sinks:
            try:
                action(sink)
            except Exception as err:  # noqa: BLE001 - finish the others first
                errors.append(err)
        if errors:
            raise errors[0]


def open_sink(spec: str, fps: float, size: tuple[int, int], protect: str | Path | None = None) -> FrameSink:
    """A sink from a command-line spec: ``virtualcam[:DEVICE]``, ``preview``,
    ``mjpeg[:PORT]`` (on 127.0.0.1) or a file path (``.mkv``/``.avi``/``.mp4``/``.webm``)."""
    kind, _, arg = spec.partition(":")
    if kind == "virtualcam":
        return VirtualCameraSink(size[0], size[1], fps, device=arg or None)
    if kind == "preview" and not arg:
        return PreviewSink()
    if kind == "mjpeg":
        if arg and not arg.isdigit():
            raise VideoOutputError(f"bad output {spec!r}: use mjpeg or mjpeg:PORT")
        return MjpegServerSink(port=int(arg or DEFAULT_PORT))
    return VideoFileSink(spec, fps, size, protect=protect)
