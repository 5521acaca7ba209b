"""Frame sources: video files, live cameras and synthetic clips, each an iterable of Frame."""

from __future__ import annotations

import math
import platform
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from privacycam.errors import VideoInputError
from privacycam.frames import Frame, as_bgr
from privacycam.io.frame_source import DEFAULT_FPS, FrameSource
from privacycam.io.v4l2 import DEV_ROOT, SYS_ROOT, VIRTUAL_CAMERA_NAME, video_devices
from privacycam.io.video_files import VideoFileSource

__all__ = ["CameraInfo", "CameraSource", "FrameSource", "SyntheticSource", "VideoFileSource", "list_cameras", "open_capture"]

Opener = Callable[[int | str], cv2.VideoCapture]
StatusCallback = Callable[[str, str], None]


# --------------------------------------------------------------------------- cameras


def open_capture(device: int | str) -> cv2.VideoCapture:
    """Open a camera with the platform's native backend (V4L2 on Linux)."""
    backend = cv2.CAP_V4L2 if platform.system() == "Linux" else cv2.CAP_ANY
    return cv2.VideoCapture(device, backend)


class CameraSource(FrameSource):
    """Live frames from a camera (index or ``/dev/videoN``), timestamped with
    ``time.monotonic()`` relative to the moment it opened.

    When reads fail mid-stream (camera unplugged, driver hiccup) the camera is reopened
    with exponential backoff (``retry_delay`` doubling up to ``max_retry_delay``).
    Iteration never raises for that; it waits and reports through ``status``
    ("streaming", "reconnecting", "closed") and ``on_status(status, message)``.
    Iteration ends only when ``close()`` is called, from any thread. ``opener``
    replaces how a device is opened (tests).
    """

    def __init__(
        self,
        device: int | str = 0,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        *,
        on_status: StatusCallback | None = None,
        retry_delay: float = 0.5,
        max_retry_delay: float = 5.0,
        opener: Opener = open_capture,
    ) -> None:
        self.device: int | str = int(device) if isinstance(device, str) and device.isdigit() else device
        self.status = "opening"
        self.reconnects = 0
        self._requested = (width, height, fps)
        self._on_status = on_status
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._opener = opener
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._pending: np.ndarray | None = None
        self._cap = self._open()
        self._index = 0
        self._t0 = time.monotonic()
        self._set_status("streaming", f"camera {self.device} open at {self._size[0]}x{self._size[1]}")

    @property
    def is_live(self) -> bool:
        return True

    def __iter__(self) -> Iterator[Frame]:
        while not self._closed.is_set():
            image = self._read()
            if image is None:
                self._reconnect()
                continue
            yield Frame(as_bgr(image), self._index, time.monotonic() - self._t0)
            self._index += 1

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None
        self._set_status("closed", f"camera {self.device} closed")

    def _open(self) -> cv2.VideoCapture:
        """Open the device, apply the requested settings and read one frame."""
        cap = self._opener(self.device)
        if not cap.isOpened():
            cap.release()
            raise VideoInputError(_cannot_open_message(self.device))
        width, height, fps = self._requested
        for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, width), (cv2.CAP_PROP_FRAME_HEIGHT, height), (cv2.CAP_PROP_FPS, fps)):
            if value:
                cap.set(prop, value)
        ok, image = cap.read()
        if not ok:
            cap.release()
            raise VideoInputError(
                f"camera {self.device} opened but delivered no frame; another application may be using it"
            )
        actual_fps = cap.get(cv2.CAP_PROP_FPS)
        self._fps = float(fps or (actual_fps if math.isfinite(actual_fps) and actual_fps > 0 else DEFAULT_FPS))
        self._size = (image.shape[1], image.shape[0])
        self._pending = image
        return cap

    def _read(self) -> np.ndarray | None:
        with self._lock:
            if self._pending is not None:
                image, self._pending = self._pending, None
                return image
            if self._cap is None:
                return None
            ok, image = self._cap.read()
            return image if ok else None

    def _reconnect(self) -> None:
        """Reopen the camera with backoff until it works or the source is closed."""
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None
        delay, attempt = self._retry_delay, 0
        self._set_status("reconnecting", f"camera {self.device} stopped delivering frames; reconnecting")
        while not self._closed.wait(delay):
            attempt += 1
            try:
                cap = self._open()
            except VideoInputError as err:
                delay = min(delay * 2, self._max_retry_delay)
                self._set_status("reconnecting", f"reconnect attempt {attempt} failed ({err}); retrying in {delay:g} s")
                continue
            with self._lock:
                if self._closed.is_set():
                    cap.release()
                    return
                self._cap = cap
            self.reconnects += 1
            self._set_status("streaming", f"camera {self.device} reconnected after {attempt} attempt(s)")
            return

    def _set_status(self, status: str, message: str) -> None:
        self.status = status
        if self._on_status is not None:
            self._on_status(status, message)


def _cannot_open_message(device: int | str) -> str:
    if platform.system() != "Linux" and isinstance(device, int):
        return f"camera {device} could not be opened: it does not exist or another application is using it"
    node = Path(f"/dev/video{device}") if isinstance(device, int) else Path(device)
    if node.is_file():
        return (
            f"--camera {device} is a file, not a camera: filter a video file with "
            f"`privacycam process {device} OUT`, or give a camera index (`privacycam --list-cameras`)"
        )
    if node.exists():
        return (
            f"camera {node} exists but could not be opened: another application may be using it, "
            "or you lack permission (add yourself to the 'video' group)"
        )
    found = ", ".join(
        f"{dev.index} ({dev.name or dev.path})" for dev in video_devices() if dev.exists and dev.name != VIRTUAL_CAMERA_NAME
    )
    if found:
        return f"camera {device} not found; cameras present: {found}: pick one with --camera N"
    return (
        f"camera {device} not found; no cameras detected: plug one in and check `privacycam --list-cameras`, "
        "pick one with --camera N, or try the filter without a webcam: `privacycam demo`, `privacycam process IN OUT`"
    )


@dataclass(frozen=True)
class CameraInfo:
    """A camera that can be opened with ``CameraSource(index)``."""

    index: int
    name: str
    path: str | None  # /dev/videoN on Linux


def _can_capture(device: int | str) -> bool:
    cap = open_capture(device)
    try:
        return cap.isOpened()
    finally:
        cap.release()


def list_cameras(
    *,
    sys_root: Path = SYS_ROOT,
    dev_root: Path = DEV_ROOT,
    probe: Callable[[int | str], bool] = _can_capture,
) -> list[CameraInfo]:
    """Cameras that open as capture devices.

    On Linux: the ``/dev/videoN`` nodes with their sysfs names, skipping PrivacyCam's
    own virtual camera (reading it back would be a feedback loop) and nodes that do not
    open for capture (metadata nodes). Elsewhere: indices 0..9 that open.
    """
    if platform.system() == "Linux":
        return [
            CameraInfo(dev.index, dev.name or dev.path.name, str(dev.path))
            for dev in video_devices(sys_root, dev_root)
            if dev.exists and dev.name != VIRTUAL_CAMERA_NAME and probe(str(dev.path))
        ]
    return [CameraInfo(i, f"Camera {i}", None) for i in range(10) if probe(i)]


# --------------------------------------------------------------------------- synthetic


class SyntheticSource(FrameSource):
    """Generated frames for demos, soak tests and benchmarks; deterministic.

    ``pattern="face"``: the astronaut portrait (``skimage.data.astronaut``) drifting
    slowly over a grey background; ``"gradient"``: a scrolling colour gradient.
    ``frames=None`` runs until closed. ``realtime=True`` paces delivery to ``fps`` and
    makes the source live. Timestamps are ``index / fps``.
    """

    PATTERNS = ("face", "gradient")

    def __init__(
        self,
        width: int = 640,
        height: int = 480,
        fps: float = DEFAULT_FPS,
        frames: int | None = 300,
        pattern: str = "face",
        realtime: bool = False,
    ) -> None:
        if pattern not in self.PATTERNS:
            raise ValueError(f"unknown pattern {pattern!r}; choose from {', '.join(self.PATTERNS)}")
        self._size = (int(width), int(height))
        self._fps = float(fps)
        self.frames = frames
        self.pattern = pattern
        self.realtime = realtime
        self._closed = threading.Event()
        self._portrait = _portrait(height) if pattern == "face" else None

    @property
    def is_live(self) -> bool:
        return self.realtime

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while (self.frames is None or index < self.frames) and not self._closed.is_set():
            t = index / self._fps
            if self.realtime and self._closed.wait(max(0.0, start + t - time.monotonic())):
                return
            yield Frame(self.render(t), index, t)
            index += 1

    def render(self, t: float) -> np.ndarray:
        """The frame at time ``t`` seconds."""
        width, height = self._size
        if self._portrait is None:
            image = np.empty((height, width, 3), np.uint8)
            image[:, :, 0] = ((np.arange(width) + 40.0 * t) * (255.0 / max(width, 1)) % 256).astype(np.uint8)
            image[:, :, 1] = (np.arange(height) * (255.0 / max(height, 1))).astype(np.uint8)[:, None]
            image[:, :, 2] = 128
            return image
        side = self._portrait.shape[0]
        dx = (width - side) / 2 + 0.05 * width * math.sin(2 * math.pi * t / 4.0)
        dy = (height - side) / 2 + 0.03 * height * math.sin(2 * math.pi * t / 3.0)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        return cv2.warpAffine(self._portrait, shift, (width, height), borderMode=cv2.BORDER_CONSTANT, borderValue=(96, 96, 96))

    def close(self) -> None:
        self._closed.set()


def _portrait(height: int) -> np.ndarray:
    """The astronaut portrait in BGR, scaled to 80 % of the frame height."""
    from skimage.data import astronaut

    side = max(8, int(round(height * 0.8)))
    image = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
