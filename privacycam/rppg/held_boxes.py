"""Attacker boxes held still: the face region as an rPPG attacker who detects the face only
now and then crops it (rPPG-Toolbox style, and ``privacycam eval``: one box per 10 s).

A box that stays put while the head moves reads more than the skin: hair, background and
the face's edge sliding across it. That signal is not what a box that follows the face
reads (on lp_d14 the band-passed green trace of the eval's box has r = +0.98 with a held
square's and −0.18 with a square that follows the face: ``benchmarks/attacker_boxes.py``),
so refine needs it as a view of its own. Two boxes are held, re-anchored on the face in turn
every ``period_s`` and half a period apart, so one of them has stayed put over the last
``period_s / 2`` seconds: the planner's whole window when ``period_s`` is twice its length.
The recording of what was sent (:mod:`privacycam.rppg.recording`) joins the windows'
held views, so its held trace steps where the windows switch boxes, every 8 s.
"""

from __future__ import annotations

Box = tuple[int, int, int, int]  # x0, y0, x1, y1

HELD_PERIOD_S = 16.0  # each box is held this long; twice the planner's 8-s window


class HeldBoxes:
    """Two boxes re-anchored in turn, half a period apart; a box the face's centre has left
    is re-anchored at once (the face moved far, or came back elsewhere)."""

    def __init__(self, period_s: float = HELD_PERIOD_S) -> None:
        self.period_s = period_s
        self._boxes: list[Box | None] = [None, None]
        self._anchored_at = [0.0, 0.0]

    def reset(self) -> None:
        self._boxes = [None, None]

    def update(self, timestamp: float, square: Box, centre: tuple[float, float]) -> tuple[Box, Box]:
        """Both held boxes for a frame at ``timestamp`` whose attacker square is ``square``
        (re-anchoring those due) and whose face is centred at ``centre``."""
        if self._boxes[0] is None:  # a new track: the second box is due half a period from now
            self._boxes = [square, square]
            self._anchored_at = [timestamp, timestamp - self.period_s / 2]
        for index, box in enumerate(self._boxes):
            due = timestamp - self._anchored_at[index] >= self.period_s
            if due or not _contains(box, centre):
                self._boxes[index], self._anchored_at[index] = square, timestamp
        return self._boxes[0], self._boxes[1]

    def steadiest(self) -> int:
        """The index of the box held longest (the one to read a window through)."""
        return 0 if self._anchored_at[0] <= self._anchored_at[1] else 1


def _contains(box: Box, point: tuple[float, float]) -> bool:
    x0, y0, x1, y1 = box
    return x0 <= point[0] < x1 and y0 <= point[1] < y1
