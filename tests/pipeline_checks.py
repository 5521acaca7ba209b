"""Checks shared by the pipeline tests."""

from __future__ import annotations

import numpy as np

from privacycam.frames import Frame, ProcessedFrame


def assert_only_skin_changed(frame: Frame, result: ProcessedFrame, max_step: int = 12) -> bool:
    """A protected frame differs from its input only under the skin mask (and, in spoof-hr,
    the halo around it), by at most ``max_step`` grey levels; returns whether any pixel changed."""
    diff = result.image.astype(int) - frame.image.astype(int)
    assert not diff[~result.editable()].any(), "a pixel outside the skin mask and the halo changed"
    assert np.abs(diff).max() <= max_step
    return bool(diff.any())
