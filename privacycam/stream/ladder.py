"""The overload degradation ladder: how much work the per-frame path may skip.

The runner climbs one rung each time the worker stays behind the source for a few
frames, jumps to the top when the queue is full, and steps down one rung after a
second of frames on time, so a short hiccup costs little and recovery is gradual. A frame
or two behind between frames on time is scheduling jitter (another process held the core
for a moment), not overload: it neither climbs nor sets the way down back to its start, or
a busy machine would keep a worker that keeps up degraded for as long as it stays busy.
"""

from __future__ import annotations

NORMAL = 0
SKIP_REFINE = 1  # no refine step (the amortised plan alone)
SLOW_PLANNING = 2  # planner every ``CADENCE_FACTOR`` x ``plan_every`` frames; the last plan is reused meanwhile
REUSE_LANDMARKS = 3  # no face mesh: the last face geometry is reused
FAIL_SAFE = 4  # no edit at all: the ``on_failure`` policy is applied
RUNGS = ("normal", "refine skipped", "reduced model cadence", "reused landmarks", "fail-safe")
CADENCE_FACTOR = 3


class OverloadLadder:
    """Backlog of the frame queue in, rung out (:data:`NORMAL` … :data:`FAIL_SAFE`)."""

    def __init__(self, climb_after: int = 3, descend_after: int = 30) -> None:
        self.climb_after = climb_after
        self.descend_after = descend_after
        self.rung = NORMAL
        self._late = 0
        self._on_time = 0

    def update(self, backlog: int, capacity: int) -> int:
        """The rung for the frame just taken from a queue of ``capacity`` holding ``backlog`` more."""
        if backlog >= capacity - 1:
            self.rung, self._late, self._on_time = FAIL_SAFE, 0, 0
        elif backlog > 0:
            self._late += 1
            if self._late >= self.climb_after:
                self.rung, self._late, self._on_time = min(FAIL_SAFE, self.rung + 1), 0, 0
        else:
            self._late = 0
            self._on_time += 1
            if self._on_time >= self.descend_after:
                self.rung, self._on_time = max(NORMAL, self.rung - 1), 0
        return self.rung
