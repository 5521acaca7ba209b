"""The attacker's face region, found independently of the filter (rPPG-Toolbox style).

An OpenCV Haar cascade finds the largest face on one frame per window; the slightly enlarged
box is held fixed for the rest of that window, and every frame's box is cropped and resized
to a small square RGB image — what a typical rPPG estimator looks at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from tqdm import tqdm

from privacycam.errors import VideoInputError

CROP_SIZE = 72
ENLARGE = 1.2  # box side multiplier around the detected face
WINDOW_S = 10.0  # one detection per window of this length when reading a file
_DETECT_WIDTH = 640  # frames are downscaled to at most this width for detection

F = TypeVar("F")


@dataclass(frozen=True)
class Box:
    """An axis-aligned pixel box, clipped to the frame."""

    x: int
    y: int
    w: int
    h: int

    def region(self, image: np.ndarray) -> np.ndarray:
        """The box's pixels of ``image`` (a view)."""
        return image[self.y : self.y + self.h, self.x : self.x + self.w]


_cascade: cv2.CascadeClassifier | None = None


def _classifier() -> cv2.CascadeClassifier:
    global _cascade
    if _cascade is None:
        _cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return _cascade


def detect_face(frame_bgr: np.ndarray, enlarge: float = ENLARGE) -> Box | None:
    """The largest frontal face of a BGR frame as an enlarged, clipped box; None if none."""
    height, width = frame_bgr.shape[:2]
    scale = min(1.0, _DETECT_WIDTH / width)
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    min_side = max(24, int(min(gray.shape) * 0.12))
    faces = _classifier().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    if len(faces) == 0:
        return None
    fx, fy, fw, fh = (v / scale for v in max(faces, key=lambda f: f[2] * f[3]))
    cx, cy, side = fx + fw / 2.0, fy + fh / 2.0, max(fw, fh) * enlarge
    x0, y0 = max(0, int(round(cx - side / 2))), max(0, int(round(cy - side / 2)))
    x1, y1 = min(width, int(round(cx + side / 2))), min(height, int(round(cy + side / 2)))
    return Box(x0, y0, x1 - x0, y1 - y0)


def with_boxes(
    items: Iterable[F],
    detect_every: int,
    image: Callable[[F], np.ndarray] = lambda item: item,
    enlarge: float = ENLARGE,
) -> Iterator[tuple[F, Box]]:
    """Pair every item with the face box of its window.

    ``image(item)`` is the BGR frame to detect on. Detection runs on the first frame of each
    ``detect_every``-frame window (retrying on the following frames until a face is found);
    frames before the first detection get the first box. Raises VideoInputError when no
    frame has a face.
    """
    box: Box | None = None
    waiting: list[F] = []
    next_detection = 0
    index = -1
    for index, item in enumerate(items):
        if index >= next_detection:
            found = detect_face(image(item), enlarge)
            if found is not None:
                box = found
                next_detection = index + detect_every
        if box is None:
            waiting.append(item)
            continue
        for earlier in waiting:
            yield earlier, box
        waiting.clear()
        yield item, box
    if index < 0:
        raise VideoInputError("no frames to read")
    if box is None:
        raise VideoInputError(f"no face found in any of {len(waiting)} frames")


def crop(frame_bgr: np.ndarray, box: Box, size: int = CROP_SIZE) -> np.ndarray:
    """The box of a BGR frame resized (area-averaged) to size x size, as RGB uint8."""
    patch = cv2.resize(box.region(frame_bgr), (size, size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(patch, cv2.COLOR_BGR2RGB)


def face_crops(frames_bgr: Iterable[np.ndarray], size: int = CROP_SIZE, detect_every: int = 300) -> np.ndarray:
    """(T, size, size, 3) uint8 RGB face crops of BGR frames, one detection per window."""
    crops = [crop(frame, box, size) for frame, box in with_boxes(frames_bgr, detect_every)]
    return np.stack(crops)


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself."""

    fps: float
    frame_count: int  # container's count; may be approximate for some formats
    width: int
    height: int


def open_video(path: str | Path) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """Open a video file: its info and an iterator over its BGR frames."""
    if not Path(path).is_file():
        raise VideoInputError(f"cannot open video {path}: no such file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise VideoInputError(f"cannot open video {path}: not a readable video")
    fps = capture.get(cv2.CAP_PROP_FPS)
    if not fps or fps <= 0 or not np.isfinite(fps):
        capture.release()
        raise VideoInputError(f"video {path} has no valid frame rate")
    info = VideoInfo(
        fps=float(fps),
        frame_count=int(capture.get(cv2.CAP_PROP_FRAME_COUNT)),
        width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
        height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
    )

    def frames() -> Iterator[np.ndarray]:
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()

    return info, frames()


def read_face_crops(path: str | Path, size: int = CROP_SIZE) -> tuple[np.ndarray, float]:
    """Face crops of a video file, one detection per 10-s window: ((T, size, size, 3) RGB, fps)."""
    info, frames = open_video(path)
    progress = tqdm(frames, total=info.frame_count or None, desc=f"faces {Path(path).name}", unit="fr", leave=False, disable=None)
    detect_every = max(1, int(round(WINDOW_S * info.fps)))
    crops = [crop(frame, box, size) for frame, box in with_boxes(progress, detect_every)]
    return np.stack(crops), info.fps
