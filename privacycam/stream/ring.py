"""Fixed-capacity ring buffer of canonical face crops, skin masks, timestamps, the face box's
mean colour and skin share, and what was sent: the mean skin edit and the drive of each frame."""

from __future__ import annotations

import numpy as np

from privacycam.editors.base import Window


class CropRing:
    """Keeps the newest ``capacity`` canonical crops; :meth:`window` returns them oldest first."""

    def __init__(self, capacity: int, size: int, views: int = 3) -> None:
        self.capacity = capacity
        self._crops = np.zeros((capacity, size, size, 3), np.uint8)
        self._masks = np.zeros((capacity, size, size), np.float32)
        self._times = np.zeros(capacity, np.float64)
        self._edits = np.zeros((capacity, 3), np.float64)
        self._drives = np.zeros(capacity, np.float64)
        self._view_colours = np.zeros((capacity, views, 3), np.float64)
        self._view_shares = np.zeros((capacity, views), np.float64)
        self._count = 0
        self._head = 0  # next slot to write

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._count = 0
        self._head = 0

    def push(
        self,
        crop: np.ndarray,
        mask: np.ndarray,
        timestamp: float,
        drive: float = 0.0,
        view_colours: np.ndarray | None = None,
        view_shares: np.ndarray | None = None,
    ) -> None:
        """Add a frame (its edit counts as zero until :meth:`record_edit`)."""
        self._crops[self._head] = crop
        self._masks[self._head] = mask
        self._times[self._head] = timestamp
        self._edits[self._head] = 0.0
        self._drives[self._head] = drive
        self._view_colours[self._head] = 0.0 if view_colours is None else view_colours
        self._view_shares[self._head] = 0.0 if view_shares is None else view_shares
        self._head = (self._head + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def record_edit(self, skin_edit: np.ndarray) -> None:
        """The (3,) BGR mean edit sent on the skin of the newest frame."""
        if self._count:
            self._edits[(self._head - 1) % self.capacity] = skin_edit

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
        return Window(
            crops=self._crops[order],
            masks=self._masks[order],
            timestamps=self._times[order],
            edits=self._edits[order],
            drives=self._drives[order],
            view_colours=self._view_colours[order],
            view_shares=self._view_shares[order],
        )
