"""The unit that flows through the stream: one image with its index and capture time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """A captured frame. ``image`` is HxWx3 uint8 in OpenCV's BGR order."""

    image: np.ndarray
    index: int
    timestamp: float  # seconds since the start of the stream


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as HxWx3 uint8 BGR; grayscale and BGRA inputs are converted.
    Raises ValueError for what cannot be a frame (empty, other channel counts or dtypes)."""
    import cv2

    if image.size == 0:
        raise ValueError(f"empty frame {image.shape}")
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.floating):
            scale = 255.0 if image.size and float(np.nanmax(image)) <= 1.0 else 1.0
            image = np.clip(np.nan_to_num(image) * scale, 0, 255).astype(np.uint8)
        else:
            info = np.iinfo(image.dtype)
            shift = max(0, info.bits - 8)
            image = np.clip(image.astype(np.int64) >> shift if info.bits > 8 else image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    raise ValueError(f"unsupported frame shape {image.shape}")
