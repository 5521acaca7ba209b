"""The canonical face space: a landmark-anchored square where each cell stays on the same
patch of skin while the head moves. Edits are computed there and warped back."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from privacycam.face.skin_mask import face_regions

# Anchor landmarks and where they sit in the unit canonical square (frontal, upright face).
_ANCHORS = {
    "right_eye": (0.30, 0.30),
    "left_eye": (0.70, 0.30),
    1: (0.50, 0.54),  # nose tip
    152: (0.50, 0.99),  # chin
    10: (0.50, 0.01),  # top of forehead
    234: (0.01, 0.45),  # right cheek edge
    454: (0.99, 0.45),  # left cheek edge
}
_MARGIN = 0.04


def _anchor_points(landmarks: np.ndarray) -> np.ndarray:
    _, holes = face_regions()
    left_eye, right_eye = holes[0], holes[1]
    points = []
    for key in _ANCHORS:
        if key == "right_eye":
            points.append(landmarks[right_eye].mean(axis=0))
        elif key == "left_eye":
            points.append(landmarks[left_eye].mean(axis=0))
        else:
            points.append(landmarks[key])
    return np.asarray(points, np.float32)


def _template(size: int) -> np.ndarray:
    unit = np.array(list(_ANCHORS.values()), np.float32)
    return ((unit * (1 - 2 * _MARGIN) + _MARGIN) * size).astype(np.float32)


@dataclass(frozen=True)
class CanonicalWarp:
    """A similarity transform between a frame and the ``size`` x ``size`` canonical square."""

    to_canonical: np.ndarray  # 2x3, frame pixels -> canonical pixels
    to_frame: np.ndarray  # 2x3, canonical pixels -> frame pixels
    size: int

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray, size: int = 64) -> "CanonicalWarp":
        src = _anchor_points(landmarks)
        matrix, _ = cv2.estimateAffinePartial2D(src, _template(size), method=cv2.LMEDS)
        if matrix is None:
            raise ValueError("degenerate landmarks: no canonical transform")
        # a face whose anchors span under ~4 px maps a pixel onto a quarter of the square, or
        # onto infinity: no face the pipeline accepts (a 16-px box and up) comes near that
        scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
        if not np.isfinite(matrix).all() or scale > size / 4:
            raise ValueError("degenerate landmarks: the face's anchor points (eyes, nose, chin) nearly coincide")
        return cls(matrix.astype(np.float64), cv2.invertAffineTransform(matrix).astype(np.float64), size)

    def crop(self, image: np.ndarray, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
        """The canonical face crop of ``image`` (any channel count), ``size`` x ``size``."""
        return cv2.warpAffine(
            image, self.to_canonical, (self.size, self.size), flags=interpolation, borderMode=cv2.BORDER_REPLICATE
        )

    def edit_to_box(self, edit: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """Warp a low-resolution canonical edit (g x g x C, covering the whole canonical
        square) into frame pixels of ``box`` = (x0, y0, x1, y1), bilinearly upsampled."""
        x0, y0, x1, y1 = box
        grid = edit.shape[0]
        # canonical pixel c -> grid coordinate (c + 0.5) * grid / size - 0.5
        scale = grid / self.size
        to_grid = np.array([[scale, 0, 0.5 * scale - 0.5], [0, scale, 0.5 * scale - 0.5]])
        box_to_frame = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
        to_canon = np.vstack([self.to_canonical, [0, 0, 1]])
        matrix = (np.vstack([to_grid, [0, 0, 1]]) @ to_canon @ box_to_frame)[:2]
        return cv2.warpAffine(
            edit,
            matrix,
            (x1 - x0, y1 - y0),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
