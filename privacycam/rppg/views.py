"""What an rPPG attacker reads in a frame: the face box the landmarks give, the larger square a
face detector crops, and each view's mean colour with the share of it that is edited skin."""

from __future__ import annotations

import cv2
import numpy as np

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from privacycam.face.landmarks import FaceObservation

DETECTOR_BOX_SCALE = 1.5  # side of a face detector's (enlarged) box, relative to the face box's longer side


def face_box(face: FaceObservation, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The landmarks' box (x0, y0, x1, y1) grown by 2 px and clipped to a frame of ``shape``."""
    height, width = shape[:2]
    x0, y0, x1, y1 = face.box
    return max(0, x0 - 2), max(0, y0 - 2), min(width, x1 + 2), min(height, y1 + 2)


def detector_square(
    box: tuple[int, int, int, int], shape: tuple[int, ...], scale: float = DETECTOR_BOX_SCALE
) -> tuple[int, int, int, int]:
    """The square of ``scale`` x the face ``box``'s longer side around it, clipped to a frame of ``shape``."""
    height, width = shape[:2]
    x0, y0, x1, y1 = box
    half = scale * max(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return max(0, int(cx - half)), max(0, int(cy - half)), min(width, int(cx + half)), min(height, int(cy + half))


def attacker_views(
    image: np.ndarray, box: tuple[int, int, int, int], mask: np.ndarray, held: tuple[tuple[int, int, int, int], ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour (V, 3) of the frame in the views an rPPG attacker may read — the skin
    (``mask`` over ``box``), the face box, the ``held`` boxes (:mod:`privacycam.rppg.held_boxes`)
    and the square of :data:`DETECTOR_BOX_SCALE` around the face, last — and the share (V,)
    of each that is the skin the filter edits."""
    x0, y0, x1, y1 = box
    pixels = image[y0:y1, x0:x1].reshape(-1, 3).astype(np.float64)
    weights = mask.ravel().astype(np.float64)
    colours = [weights @ pixels / max(float(weights.sum()), 1e-6)]  # one BLAS product, no weighted copy of the box
    shares = [1.0]
    for v0, w0, v1, w1 in (box, *held, detector_square(box, image.shape)):
        colours.append(cv2.mean(image[w0:w1, v0:v1])[:3])
        # the skin inside this view: the mask over its overlap with the face box
        u0, u1, z0, z1 = max(v0, x0), min(v1, x1), max(w0, y0), min(w1, y1)
        skin = float(mask[z0 - y0 : z1 - y0, u0 - x0 : u1 - x0].sum()) if u1 > u0 and z1 > z0 else 0.0
        shares.append(skin / max(1, (v1 - v0) * (w1 - w0)))
    return np.asarray(colours, np.float64), np.asarray(shares)
