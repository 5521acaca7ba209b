"""Erase's per-frame cancellation: hold each skin cell's colour to its own slow baseline.

A plan predicts the real pulse from past frames and subtracts its continuation; whatever the
prediction misses (a phase drift, a heartbeat that comes early, talking and head motion that
modulate the skin's colour in the pulse band) stays readable. The flattener needs no
prediction: at every frame it measures the canonical crop's skin cells, which the edit of that
frame may use (causal, no added latency), and sets each cell to a second-order low-pass of its
own past colour (time constant ``baseline_s`` per stage, well below the pulse band). What is
left of the pulse band is the low-pass's leak (-20 dB or less at 0.7 Hz for the default),
and the decoy then out-shouts it. Each cell's change is capped at ``cap`` grey levels, so a
large change of light or pose passes through late by at most that much.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def cell_colours(crop: np.ndarray, skin: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """(g, g, 3) skin-weighted mean colour and (g, g) skin cover of each cell of ``crop``."""
    weights = skin.astype(np.float32)
    cover = cv2.resize(weights, (grid, grid), interpolation=cv2.INTER_AREA)
    total = cv2.resize(crop.astype(np.float32) * weights[..., None], (grid, grid), interpolation=cv2.INTER_AREA)
    return total / np.maximum(cover, 1e-6)[..., None], cover


class ColourFlattener:
    """Per-frame grid edit that flattens every skin cell's colour to its slow baseline."""

    def __init__(
        self, grid: int = 8, fps: float = 30.0, baseline_s: float = 1.5, cap: float = 4.0, min_cover: float = 0.3, boxes: bool = False
    ) -> None:
        self.grid, self.cap, self.min_cover, self.boxes = grid, cap, min_cover, boxes
        self.alpha = 1.0 - math.exp(-1.0 / (baseline_s * fps))
        self._stages: list[np.ndarray] | None = None
        self._around: list[np.ndarray] | None = None

    def reset(self) -> None:
        """Forget the baselines (a new face, a cut, a frame-size change)."""
        self._stages = self._around = None

    def box_offset(self, colours: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """(3,) even skin offset that holds the attacker boxes' non-skin part at its baseline.

        ``colours`` (V, 3): the skin's mean colour, then each attacker box's; ``shares`` (V,): the
        skin's share of each. The pixels around the skin (eyes, hair, background) cannot change,
        but their colour in the pulse band reaches every box an attacker averages: the skin
        carries its opposite, the mean of what each box needs, capped like the cells.
        """
        skin, boxes, share = colours[0], colours[1:], np.clip(shares[1:, None], 0.05, 0.95)
        around = (boxes - share * skin) / (1.0 - share)  # (V-1, 3): the non-skin colour of each box
        if self._around is None:
            self._around = [around.copy(), around.copy()]
        first, second = self._around
        first += self.alpha * (around - first)
        second += self.alpha * (first - second)
        needed = -(1.0 - share) / share * (around - second)
        return np.clip(needed.mean(axis=0), -self.cap, self.cap)

    def edit(self, crop: np.ndarray, skin: np.ndarray) -> np.ndarray:
        """The (g, g, 3) change that moves this frame's skin cells to their baselines."""
        colours, cover = cell_colours(crop, skin, self.grid)
        if self._stages is None:
            self._stages = [colours.copy(), colours.copy()]
        first, second = self._stages
        first += self.alpha * (colours - first)
        second += self.alpha * (first - second)
        change = np.clip(second - colours, -self.cap, self.cap)
        return (change * (cover >= self.min_cover)[..., None]).astype(np.float32)
