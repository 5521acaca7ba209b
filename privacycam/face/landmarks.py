"""MediaPipe face mesh → smoothed 468 landmarks of the largest face in the frame."""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging quiet
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class FaceObservation:
    """Landmarks of the chosen (largest) face, in pixel coordinates of the full frame."""

    landmarks: np.ndarray  # (468, 2) float32, x then y
    face_count: int  # how many faces the mesh found (the largest is used)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Integer bounding box (x0, y0, x1, y1) of the landmarks."""
        x0, y0 = np.floor(self.landmarks.min(axis=0)).astype(int)
        x1, y1 = np.ceil(self.landmarks.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1), int(y1)


def _face_area(points: np.ndarray) -> float:
    span = points.max(axis=0) - points.min(axis=0)
    return float(span[0] * span[1])


class LandmarkSmoother:
    """Motion-adaptive exponential smoothing (a One-Euro-style filter) of landmark tracks.

    Slow drift is smoothed hard (a steady mask does not flicker); fast motion passes almost
    unfiltered (the mask does not lag behind a moving head).
    """

    def __init__(self, slow_alpha: float = 0.35, fast_px: float = 6.0) -> None:
        self._slow_alpha = slow_alpha
        self._fast_px = fast_px
        self._state: np.ndarray | None = None

    def reset(self) -> None:
        self._state = None

    def __call__(self, points: np.ndarray) -> np.ndarray:
        if self._state is None or self._state.shape != points.shape:
            self._state = points.astype(np.float32).copy()
            return self._state.copy()
        speed = float(np.median(np.linalg.norm(points - self._state, axis=1)))
        alpha = min(1.0, self._slow_alpha + (1.0 - self._slow_alpha) * speed / self._fast_px)
        self._state = (self._state + alpha * (points - self._state)).astype(np.float32)
        return self._state.copy()


class FaceTracker:
    """Runs the MediaPipe face mesh on each frame and returns the largest face, smoothed.

    Frames wider than ``max_width`` are downscaled for the mesh only (landmarks are scaled
    back), which keeps 720p frames as cheap as 480p ones.
    """

    def __init__(self, max_faces: int = 2, max_width: int = 640, smooth: bool = True) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=max_faces,
            refine_landmarks=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._max_width = max_width
        self._smoother = LandmarkSmoother() if smooth else None
        self._last_points: np.ndarray | None = None
        self._region_x0: int | None = None  # left edge of the square region the mesh looks at first

    def close(self) -> None:
        self._mesh.close()

    def reset(self) -> None:
        """Forget the track (call on a frame-size change or after the face was lost)."""
        if self._smoother is not None:
            self._smoother.reset()
        self._region_x0 = None
        self._last_points = None

    def observe(self, image_bgr: np.ndarray) -> FaceObservation | None:
        """Landmarks of the tracked (else the largest) face in ``image_bgr``, or None.

        The mesh first looks at a square region (at first centred, later around the face),
        so faces in wide 16:9 frames are as large to the detector as in 4:3 ones; when that
        finds nothing it looks at the whole frame. The region stays put while the face is
        inside it: the mesh tracks in the region's coordinates, and every move of the
        region throws its tracking off (landmarks shifted off the face for a frame or two).
        """
        height, width = image_bgr.shape[:2]
        side = min(width, height)
        region_x0 = (width - side) // 2 if self._region_x0 is None else self._region_x0
        regions = [(region_x0, side)] if side < width else []
        regions.append((0, width))
        for x0, region_width in regions:
            faces = self._mesh_faces(image_bgr[:, x0 : x0 + region_width], x0)
            if faces:
                break
        else:
            self.reset()
            return None
        points = self._choose(faces)
        if self._smoother is not None:
            points = self._smoother(points)
        self._last_points = points
        if not (region_x0 <= points[:, 0].min() and points[:, 0].max() <= region_x0 + side):
            region_x0 = int(round(min(max(float(points[:, 0].mean()) - side / 2.0, 0), width - side)))
        self._region_x0 = region_x0
        return FaceObservation(landmarks=points, face_count=len(faces))

    def _choose(self, faces: list[np.ndarray]) -> np.ndarray:
        """The face being tracked (centre within half a face width of the last one), else the largest.

        Keeping the tracked face stops the protection from jumping to a briefly detected
        larger false face (a pattern on clothing) or a person passing behind.
        """
        if self._last_points is not None and len(faces) > 1:
            last_centre = self._last_points.mean(axis=0)
            reach = 0.5 * float(np.ptp(self._last_points[:, 0]))
            distances = [float(np.linalg.norm(face.mean(axis=0) - last_centre)) for face in faces]
            nearest = int(np.argmin(distances))
            if distances[nearest] <= reach:
                return faces[nearest]
        return max(faces, key=_face_area)

    def _mesh_faces(self, region: np.ndarray, x_offset: int) -> list[np.ndarray]:
        """All faces the mesh finds in ``region``, as (468, 2) arrays in frame pixels."""
        h, w = region.shape[:2]
        scale = min(1.0, self._max_width / float(w))
        small = region if scale == 1.0 else cv2.resize(
            region, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA
        )
        result = self._mesh.process(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
        return [
            np.array([(p.x * w + x_offset, p.y * h) for p in face.landmark], dtype=np.float32)
            for face in result.multi_face_landmarks or []
        ]
