"""The per-frame half of de-identification: a canonical displacement field applied to the
face's structure in frame pixels (numpy/OpenCV, a few milliseconds at 640x480).

Only the structure moves: the face is split into a Gaussian low-pass (shapes of eyes, brows,
nose, lips, jaw) and the rest (pores, hair strands, sensor noise), the low-pass is resampled
and the rest stays where it was. The change is then as smooth as the low-pass, and the
camera's own frame-to-frame noise is not re-sampled into a second, independent noise.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from privacycam.face.canonical import CanonicalWarp

STRUCTURE_SIGMA = 0.4  # canonical pixels: the low-pass whose content the field moves


def reshape_face(
    image: np.ndarray,
    flow: np.ndarray,
    warp: CanonicalWarp,
    box: tuple[int, int, int, int],
    mask: np.ndarray,
    sigma: float = STRUCTURE_SIGMA,
) -> np.ndarray:
    """The ``box`` region of ``image`` (uint8) with its face's structure resampled at ``pixel + flow``.

    ``flow``: (S, S, 2) displacement in canonical pixels over the canonical square;
    ``warp``: this frame's canonical transform; ``mask``: the (h, w) feathered face mask of
    ``box``, which fades the displacement to nothing outside the face; ``sigma``: the
    low-pass (canonical pixels) whose content moves (0: the whole image content moves).
    """
    x0, y0, x1, y1 = box
    shift = warp.edit_to_box(np.ascontiguousarray(flow, np.float32), box)  # canonical pixels, per box pixel
    linear = warp.to_frame[:, :2].astype(np.float32)  # canonical → frame vectors
    shift = (shift @ linear.T) * mask[..., None]
    scale = math.hypot(warp.to_frame[0, 0], warp.to_frame[1, 0])  # frame pixels per canonical pixel
    blur = sigma * scale
    height, width = image.shape[:2]
    margin = int(math.ceil(float(np.abs(shift).max(initial=0.0)) + 3 * blur)) + 2
    rx0, ry0 = max(0, x0 - margin), max(0, y0 - margin)
    rx1, ry1 = min(width, x1 + margin), min(height, y1 + margin)
    region = image[ry0:ry1, rx0:rx1].astype(np.float32)
    low = cv2.GaussianBlur(region, (0, 0), blur) if blur > 0 else region
    ys, xs = np.mgrid[y0 - ry0 : y1 - ry0, x0 - rx0 : x1 - rx0].astype(np.float32)
    moved = cv2.remap(low, xs + shift[..., 0], ys + shift[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inner = (slice(y0 - ry0, y1 - ry0), slice(x0 - rx0, x1 - rx0))
    out = region[inner] + (moved - low[inner])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
