"""The per-frame half of de-identification: a canonical displacement field applied to the
face in frame pixels (numpy/OpenCV, a few milliseconds at 640x480)."""

from __future__ import annotations

import cv2
import numpy as np

from privacycam.face.canonical import CanonicalWarp


def reshape_face(
    image: np.ndarray, flow: np.ndarray, warp: CanonicalWarp, box: tuple[int, int, int, int], mask: np.ndarray
) -> np.ndarray:
    """The ``box`` region of ``image`` with its face resampled at ``pixel + flow``.

    ``flow``: (S, S, 2) displacement in canonical pixels over the canonical square;
    ``warp``: this frame's canonical transform; ``mask``: the (h, w) feathered face mask of
    ``box``, which fades the displacement to nothing outside the face.
    """
    x0, y0, x1, y1 = box
    shift = warp.edit_to_box(np.ascontiguousarray(flow, np.float32), box)  # canonical pixels, per box pixel
    linear = warp.to_frame[:, :2].astype(np.float32)  # canonical → frame vectors
    shift = (shift @ linear.T) * mask[..., None]
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    return cv2.remap(image, xs + shift[..., 0], ys + shift[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
