"""The attacker-box diagnostic (benchmarks/attacker_boxes.py) on a real clip."""

from __future__ import annotations

import importlib.util

import numpy as np

from conftest import REPO

_spec = importlib.util.spec_from_file_location("attacker_boxes", REPO / "benchmarks" / "attacker_boxes.py")
attacker_boxes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(attacker_boxes)


def test_regions_hold_less_skin_as_they_grow_and_the_held_still_skin_reads_nothing(shared_data):
    clip = shared_data / "clips" / "lp_d20.mp4"
    fps, original, filtered, shares = attacker_boxes.region_traces(clip, clip)
    assert fps == 25.0 and original.shape == (len(shares), len(attacker_boxes.REGIONS), 3)
    assert np.array_equal(original, filtered)  # the same clip read twice through the same regions
    assert np.all(shares[:, 0] == 1.0)
    mean = shares.mean(axis=0)
    assert 0.4 < mean[1] < 0.6 and mean[1] > mean[2] > mean[3] > 0.1  # face box > eval box > square
    assert np.allclose(original[0, 4], original[0, 3]) and mean[4] > 0.1  # the held square starts as the square
    still = attacker_boxes.skin_held_still(original, shares)
    assert np.allclose(still[:, 0], original[:, 0].mean(axis=0))  # the skin: one colour all clip long
    rest = (original[:, 1:] - shares[:, 1:, None] * original[:, :1]) / (1.0 - shares[:, 1:, None])
    # every box keeps its non-skin part and holds its skin share at the skin's mean colour
    assert np.allclose(still[:, 1:], shares[:, 1:, None] * original[:, :1].mean(axis=0) + (1.0 - shares[:, 1:, None]) * rest)
