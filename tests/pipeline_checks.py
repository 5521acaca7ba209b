"""Checks shared by the pipeline tests."""

from __future__ import annotations

import numpy as np

from privacycam.frames import Frame
from privacycam.stream.pipeline import ProcessedFrame


def assert_only_skin_changed(frame: Frame, result: ProcessedFrame, max_step: int = 12) -> bool:
    """A protected frame differs from its input only under the skin mask, by at most
    ``max_step`` grey levels; returns whether any pixel changed."""
    diff = result.image.astype(int) - frame.image.astype(int)
    x0, y0, x1, y1 = result.box
    outside = np.ones(frame.image.shape[:2], bool)
    outside[y0:y1, x0:x1] = result.mask == 0
    assert not diff[outside].any(), "a pixel outside the skin mask changed"
    assert np.abs(diff).max() <= max_step
    return bool(diff.any())
