"""A Qt preview of the filtered stream, fed from the stream's per-frame hook.

The stream thread only stores a reference to the newest output (:class:`LatestFrame`);
the window copies and paints it on its own ~15 Hz timer, so a slow or hidden preview
never slows the stream. (OpenCV's own window would load a second Qt into the process.)
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel

PAINT_MS = 66


class LatestFrame:
    """The newest output image, ``put`` by the stream's thread, taken by the window's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._image: np.ndarray | None = None
        self._count = 0

    def put(self, image: np.ndarray) -> None:
        with self._lock:
            self._image = image
            self._count += 1

    def take(self) -> tuple[int, np.ndarray | None]:
        """(frames seen so far, newest image or None)."""
        with self._lock:
            return self._count, self._image


class PreviewWindow(QLabel):
    """Shows the newest filtered frame while visible."""

    def __init__(self, frames: LatestFrame) -> None:
        super().__init__()
        self.setWindowTitle("PrivacyCam preview")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 240)
        self._frames = frames
        self._shown = -1
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.paint_latest)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._timer.start(PAINT_MS)
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._timer.stop()
        super().hideEvent(event)

    def paint_latest(self) -> None:
        """Paint the newest frame if it is new."""
        count, image = self._frames.take()
        if image is None or count == self._shown:
            return
        self._shown = count
        height, width = image.shape[:2]
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        qimage = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        pixmap = QPixmap.fromImage(qimage)
        self.setPixmap(pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
