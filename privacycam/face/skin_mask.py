"""Skin mask from 468 face-mesh landmarks: face oval minus eyes, brows, lips and nostrils.

The mask is feathered *inwards* (polygon eroded, then blurred), so its support stays inside
the face oval: pixels outside the oval are never edited.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# Lower nose around both nostrils (MediaPipe has no nostril constant).
NOSTRILS = (48, 64, 98, 97, 2, 326, 327, 294, 278, 240, 460, 75, 305, 79, 309)


def _ordered_loop(edges: frozenset) -> list[int]:
    """Walk a closed edge set (as MediaPipe's FACEMESH_* constants) into a vertex loop."""
    adjacency: dict[int, list[int]] = {}
    for a, b in edges:
        adjacency.setdefault(a, []).append(b)
        adjacency.setdefault(b, []).append(a)
    start = min(adjacency)
    order, previous, current = [start], None, start
    while True:
        following = [n for n in adjacency[current] if n != previous][0]
        if following == start:
            return order
        order.append(following)
        previous, current = current, following


@lru_cache(maxsize=1)
def face_regions() -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(face-oval loop, tuple of excluded vertex sets) as landmark index arrays."""
    from mediapipe.python.solutions import face_mesh_connections as fmc

    def vertices(edges: frozenset) -> np.ndarray:
        return np.array(sorted({i for edge in edges for i in edge}))

    oval = np.array(_ordered_loop(fmc.FACEMESH_FACE_OVAL))
    holes = (
        vertices(fmc.FACEMESH_LEFT_EYE),
        vertices(fmc.FACEMESH_RIGHT_EYE),
        vertices(fmc.FACEMESH_LEFT_EYEBROW),
        vertices(fmc.FACEMESH_RIGHT_EYEBROW),
        vertices(fmc.FACEMESH_LIPS),
        np.array(NOSTRILS),
    )
    return oval, holes


def face_oval_polygon(landmarks: np.ndarray) -> np.ndarray:
    """(N, 2) float32 polygon of the face oval in the landmarks' coordinates."""
    return landmarks[face_regions()[0]]


def skin_mask(
    landmarks: np.ndarray,
    box: tuple[int, int, int, int],
    feather_frac: float = 0.02,
    hole_grow_frac: float = 0.015,
    scale: float = 0.5,
) -> np.ndarray:
    """Feathered skin mask (float32 in [0, 1]) over the pixel box ``(x0, y0, x1, y1)``.

    ``feather_frac`` and ``hole_grow_frac`` are fractions of the face width. The mask is
    drawn at ``scale`` resolution and resized (it is smooth anyway), then clipped to the
    face-oval polygon so nothing outside it is ever non-zero.
    """
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 1 or height <= 1:
        return np.zeros((max(height, 0), max(width, 0)), np.float32)
    oval_idx, holes = face_regions()
    face_width = float(np.ptp(landmarks[oval_idx, 0]))
    sw, sh = max(2, int(round(width * scale))), max(2, int(round(height * scale)))
    to_small = np.array([sw / width, sh / height], np.float32)
    shift = np.array([x0, y0], np.float32)

    def small(points: np.ndarray) -> np.ndarray:
        return np.round((points - shift) * to_small * 4).astype(np.int32)  # 2 fractional bits

    canvas = np.zeros((sh, sw), np.uint8)
    cv2.fillPoly(canvas, [small(landmarks[oval_idx])], 255, lineType=cv2.LINE_8, shift=2)
    grow = max(1, int(round(hole_grow_frac * face_width * to_small[0])))
    for hole in holes:
        hull = cv2.convexHull(small(landmarks[hole]))
        cv2.fillConvexPoly(canvas, hull, 0, lineType=cv2.LINE_8, shift=2)
        cv2.polylines(canvas, [hull], True, 0, thickness=2 * grow, lineType=cv2.LINE_8, shift=2)
    radius = max(1, int(round(feather_frac * face_width * to_small[0])))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    eroded = cv2.erode(canvas, kernel)
    feathered = cv2.GaussianBlur(eroded.astype(np.float32) / 255.0, (2 * radius + 1, 2 * radius + 1), radius / 2.0)
    mask = cv2.resize(feathered, (width, height), interpolation=cv2.INTER_LINEAR)
    inside = np.zeros((height, width), np.uint8)
    cv2.fillPoly(inside, [np.round((landmarks[oval_idx] - shift) * 4).astype(np.int32)], 1, shift=2)
    mask *= inside
    mask[mask < 1e-3] = 0.0
    return mask


def face_mask(
    landmarks: np.ndarray, box: tuple[int, int, int, int], feather_frac: float = 0.03, scale: float = 0.5
) -> np.ndarray:
    """Feathered face-oval mask without holes (eyes, brows, lips included), float32 over ``box``.

    Feathered inwards like :func:`skin_mask`, so nothing outside the oval is non-zero.
    """
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 1 or height <= 1:
        return np.zeros((max(height, 0), max(width, 0)), np.float32)
    oval = landmarks[face_regions()[0]] - np.array([x0, y0], np.float32)
    sw, sh = max(2, int(round(width * scale))), max(2, int(round(height * scale)))
    canvas = np.zeros((sh, sw), np.uint8)
    to_small = np.array([sw / width, sh / height], np.float32)
    cv2.fillPoly(canvas, [np.round(oval * to_small * 4).astype(np.int32)], 255, shift=2)
    radius = max(1, int(round(feather_frac * float(np.ptp(oval[:, 0])) * to_small[0])))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    eroded = cv2.erode(canvas, kernel).astype(np.float32) / 255.0
    feathered = cv2.GaussianBlur(eroded, (2 * radius + 1, 2 * radius + 1), radius / 2.0)
    mask = cv2.resize(feathered, (width, height), interpolation=cv2.INTER_LINEAR)
    inside = np.zeros((height, width), np.uint8)
    cv2.fillPoly(inside, [np.round(oval * 4).astype(np.int32)], 1, shift=2)
    mask *= inside
    mask[mask < 1e-3] = 0.0
    return mask
