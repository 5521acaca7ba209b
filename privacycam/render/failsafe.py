"""What is sent when a face is in view but its frame cannot be protected (``--on-failure``)."""

from __future__ import annotations

import cv2
import numpy as np

from privacycam.frames import ProcessedFrame

Box = tuple[int, int, int, int]  # x0, y0, x1, y1


class FailSafe:
    """The ``policy`` (one of :data:`privacycam.config.ON_FAILURE`) for one stream; it remembers
    the last protected frame and, during a run of failures, when it began and the mosaic held.

    - ``passthrough``: send the frame unedited. The call never stalls, but each such
      frame carries the real pulse.
    - ``blur``: cover the face box with a coarse mosaic *held still* since the failure
      began; the rest of the frame stays live. A plain blur would not protect: it keeps
      the box's spatial mean, which is exactly what rPPG estimators read; a still patch
      has no temporal signal at all.
    - ``freeze`` (default): repeat the last protected frame, which leaks nothing and hides
      short gaps (warm-up, a burst of load, a lost mesh). A call must not look frozen for
      long, so after ``freeze_max_s`` it continues as ``blur``.

    ``blur``/``freeze`` frames are marked ``failsafe``; with no face box known (and nothing
    to freeze) the frame passes unedited.
    """

    def __init__(self, policy: str, freeze_max_s: float) -> None:
        self.policy = policy
        self.freeze_max_s = freeze_max_s
        self._last_sent: np.ndarray | None = None
        self._since: float | None = None  # when the current run of fail-safe frames began
        self._held: np.ndarray | None = None  # the still mosaic that conceals the face meanwhile

    def apply(
        self,
        image: np.ndarray,
        now: float,
        reason: str,
        timings: dict[str, float],
        box: Box | None = None,
        mask: np.ndarray | None = None,
    ) -> ProcessedFrame:
        """The frame to send instead of ``image`` (captured at ``now``), which could not be
        protected for ``reason``; ``box``/``mask``: the face's, when known."""
        if self._since is None:
            self._since = now
        if (
            self.policy == "freeze"
            and self._last_sent is not None
            and self._last_sent.shape == image.shape
            and now - self._since < self.freeze_max_s
        ):
            return ProcessedFrame(self._last_sent, False, reason + " (frozen)", failsafe=True, timings_ms=timings)
        if self.policy != "passthrough" and box is not None:
            out = self._conceal(image, box)
            return ProcessedFrame(out, False, reason + " (concealed)", box=box, failsafe=True, timings_ms=timings)
        return ProcessedFrame(image, False, reason, box=box, mask=mask, timings_ms=timings)

    def sent(self, result: ProcessedFrame) -> None:
        """Note the frame that went out: a protected one may be frozen later; any frame not
        from the fail-safe ends a run of failures."""
        if result.protected:
            self._last_sent = result.image
        if not result.failsafe:
            self._since = self._held = None

    def reset(self) -> None:
        """Forget everything (the frame size changed)."""
        self._last_sent = None
        self._since = self._held = None

    def _conceal(self, image: np.ndarray, box: Box) -> np.ndarray:
        """``image`` with ``box`` under an 8x8 mosaic taken when the failure began and held still."""
        x0, y0, x1, y1 = box
        if self._held is None:
            source = self._last_sent if self._last_sent is not None and self._last_sent.shape == image.shape else image
            self._held = cv2.resize(source[y0:y1, x0:x1], (8, 8), interpolation=cv2.INTER_AREA)
        out = image.copy()
        out[y0:y1, x0:x1] = cv2.resize(self._held, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        return out
