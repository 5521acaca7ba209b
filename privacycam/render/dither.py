"""Adding sub-grey-level edits to uint8 pixels without losing them to rounding."""

from __future__ import annotations

import numpy as np

_MAX_U = np.float32(0.999)  # keeps floor(v + u) == v exactly for integer v in float32


class StochasticRounder:
    """Adds float edits to uint8 pixels with stochastic rounding.

    Each pixel rounds up with probability equal to its fractional part, so the spatial and
    temporal averages carry edits far below one grey level. Where the edit is exactly 0 the
    pixel is returned bit-identical. The uniform noise comes from a pre-drawn bank read at a
    random offset each call (drawing fresh noise costs more than the rest of the composite).
    """

    def __init__(self, seed: int = 0, bank_size: int = 1024) -> None:
        self._rng = np.random.default_rng(seed)
        self._bank = self._rng.random((bank_size, bank_size, 3), dtype=np.float32) * _MAX_U

    def add(self, pixels: np.ndarray, edit: np.ndarray) -> np.ndarray:
        """``pixels`` (HxWx3 uint8) + ``edit`` (HxWx3 float32), stochastically rounded."""
        height, width = pixels.shape[:2]
        bank_h, bank_w = self._bank.shape[:2]
        if height > bank_h or width > bank_w:
            noise = self._rng.random(pixels.shape, dtype=np.float32) * _MAX_U
        else:
            y = int(self._rng.integers(0, bank_h - height + 1))
            x = int(self._rng.integers(0, bank_w - width + 1))
            noise = self._bank[y : y + height, x : x + width]
        total = edit + noise
        total += pixels
        np.floor(total, out=total)
        np.clip(total, 0, 255, out=total)
        return total.astype(np.uint8)
