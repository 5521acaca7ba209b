"""The units that flow through the stream: a captured frame, and the filter's output for it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Frame:
    """A captured frame. ``image`` is HxWx3 uint8 in OpenCV's BGR order."""

    image: np.ndarray
    index: int
    timestamp: float  # seconds since the start of the stream


@dataclass
class ProcessedFrame:
    """The output frame and what happened to it."""

    image: np.ndarray
    protected: bool
    reason: str = ""  # why it was not protected
    box: tuple[int, int, int, int] | None = None
    mask: np.ndarray | None = None  # skin mask over ``box`` (None: all of box)
    halo_box: tuple[int, int, int, int] | None = None  # spoof-hr: the square the halo covers
    halo: np.ndarray | None = None  # its weights over ``halo_box``: with ``mask``, the only pixels that may change
    failsafe: bool = False  # not edited, but frozen or concealed by the ``on_failure`` policy
    timings_ms: dict[str, float] = field(default_factory=dict)

    def editable(self) -> np.ndarray:
        """(H, W) bool: the pixels this frame may differ in from its input — ``mask`` over ``box``
        (all of ``box`` without a mask), and the halo's square where its weight is above 0."""
        where = np.zeros(self.image.shape[:2], bool)
        for region, weights in ((self.box, self.mask), (self.halo_box, self.halo)):
            if region is not None:
                x0, y0, x1, y1 = region
                where[y0:y1, x0:x1] |= True if weights is None else weights > 0
        return where


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
