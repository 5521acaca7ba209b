"""Fixed-capacity ring buffer of canonical face crops, skin masks and timestamps."""

from __future__ import annotations

import numpy as np

from privacycam.editors.base import Window


class CropRing:
    """Keeps the newest ``capacity`` canonical crops; :meth:`window` returns them oldest first."""

    def __init__(self, capacity: int, size: int) -> None:
        self.capacity = capacity
        self._crops = np.zeros((capacity, size, size, 3), np.uint8)
        self._masks = np.zeros((capacity, size, size), np.float32)
        self._times = np.zeros(capacity, np.float64)
        self._count = 0
        self._head = 0  # next slot to write

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._count = 0
        self._head = 0

    def push(self, crop: np.ndarray, mask: np.ndarray, timestamp: float) -> None:
        self._crops[self._head] = crop
        self._masks[self._head] = mask
        self._times[self._head] = timestamp
        self._head = (self._head + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    @property
    def duration_s(self) -> float:
        if self._count < 2:
            return 0.0
        order = self._order()
        return float(self._times[order[-1]] - self._times[order[0]])

    def _order(self) -> np.ndarray:
        start = (self._head - self._count) % self.capacity
        return (start + np.arange(self._count)) % self.capacity

    def window(self) -> Window:
        """A copy of the buffered history, oldest first."""
        order = self._order()
        return Window(crops=self._crops[order], masks=self._masks[order], timestamps=self._times[order])
