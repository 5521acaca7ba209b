"""The attacker's face region, found independently of the filter (rPPG-Toolbox style).

An OpenCV Haar cascade finds faces on one frame per window; the slightly enlarged box is
held fixed for the rest of that window, and every frame's box is cropped and resized to a
small square RGB image — what a typical rPPG estimator looks at. The box is tracked as a
real attacker tracks it: the first window takes the largest face, later windows the
detection that overlaps the previous box; a detection elsewhere (a false hit on the
background) is rejected unless the next window finds it again (the face really moved).
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


MIN_OVERLAP = 0.3  # intersection over union for a detection to continue the previous box


def detect_faces(frame_bgr: np.ndarray, enlarge: float = ENLARGE) -> list[Box]:
    """Every frontal face of a BGR frame as an enlarged, clipped box, largest first."""
    height, width = frame_bgr.shape[:2]
    scale = min(1.0, _DETECT_WIDTH / width)
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    min_side = max(24, int(min(gray.shape) * 0.12))
    faces = _classifier().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    boxes = []
    for fx, fy, fw, fh in sorted((tuple(v / scale for v in f) for f in faces), key=lambda f: -f[2] * f[3]):
        cx, cy, side = fx + fw / 2.0, fy + fh / 2.0, max(fw, fh) * enlarge
        x0, y0 = max(0, int(round(cx - side / 2))), max(0, int(round(cy - side / 2)))
        x1, y1 = min(width, int(round(cx + side / 2))), min(height, int(round(cy + side / 2)))
        boxes.append(Box(x0, y0, x1 - x0, y1 - y0))
    return boxes


def detect_face(frame_bgr: np.ndarray, enlarge: float = ENLARGE) -> Box | None:
    """The largest frontal face of a BGR frame as an enlarged, clipped box; None if none."""
    faces = detect_faces(frame_bgr, enlarge)
    return faces[0] if faces else None


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when disjoint)."""
    iw = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    ih = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / float(a.w * a.h + b.w * b.h - inter)


class FaceTrack:
    """The attacker's face box across detections: continue the face, reject jumps.

    ``update`` takes one detection's boxes (largest first) and returns the tracked box, or
    None before the first face. A detection that overlaps the current box continues it; one
    elsewhere is held back and accepted only when the next detection confirms it.
    """

    def __init__(self) -> None:
        self.box: Box | None = None
        self._jump: Box | None = None

    def update(self, faces: list[Box]) -> Box | None:
        if self.box is None:
            self.box = faces[0] if faces else None
            return self.box
        continuing = _best_overlap(self.box, faces)
        if continuing is not None:
            self.box, self._jump = continuing, None
            return self.box
        confirmed = _best_overlap(self._jump, faces) if self._jump is not None else None
        if confirmed is not None:
            self.box, self._jump = confirmed, None
        else:
            self._jump = faces[0] if faces else None
        return self.box


def _best_overlap(box: Box, faces: list[Box]) -> Box | None:
    scored = [(overlap(box, face), face) for face in faces]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return best[1] if best[0] >= MIN_OVERLAP else None


def with_boxes(
    items: Iterable[F],
    detect_every: int,
    image: Callable[[F], np.ndarray] = lambda item: item,
    enlarge: float = ENLARGE,
) -> Iterator[tuple[F, Box]]:
    """Pair every item with the tracked face box of its window (see :class:`FaceTrack`).

    ``image(item)`` is the BGR frame to detect on. Detection runs on the first frame of each
    ``detect_every``-frame window (retrying on the following frames until a face is found);
    frames before the first detection get the first box. Raises VideoInputError when no
    frame has a face.
    """
    track = FaceTrack()
    waiting: list[F] = []
    next_detection = 0
    index = -1
    for index, item in enumerate(items):
        if index >= next_detection:
            faces = detect_faces(image(item), enlarge)
            if faces:
                track.update(faces)
                next_detection = index + detect_every
        box = track.box
        if box is None:
            waiting.append(item)
            continue
        for earlier in waiting:
            yield earlier, box
        waiting.clear()
        yield item, box
    if index < 0:
        raise VideoInputError("no frames to read")
    if track.box is None:
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
    """Open a video file: its info and an iterator over its BGR frames, decoded exactly as
    ``privacycam process`` decodes them (PyAV, colour matrix as the file declares)."""
    from privacycam.io.video_files import VideoFileSource  # noqa: PLC0415 - PyAV only when a file is read

    if not Path(path).is_file():
        raise VideoInputError(f"cannot open video {path}: no such file")
    source = VideoFileSource(path)
    width, height = source.size
    info = VideoInfo(fps=float(source.fps), frame_count=int(source.frame_count or 0), width=width, height=height)

    def frames() -> Iterator[np.ndarray]:
        with source:
            for frame in source:
                yield frame.image

    return info, frames()


def read_face_crops(path: str | Path, size: int = CROP_SIZE) -> tuple[np.ndarray, float]:
    """Face crops of a video file, one detection per 10-s window: ((T, size, size, 3) RGB, fps)."""
    info, frames = open_video(path)
    progress = tqdm(frames, total=info.frame_count or None, desc=f"faces {Path(path).name}", unit="fr", leave=False, disable=None)
    detect_every = max(1, int(round(WINDOW_S * info.fps)))
    crops = [crop(frame, box, size) for frame, box in with_boxes(progress, detect_every)]
    return np.stack(crops), info.fps
