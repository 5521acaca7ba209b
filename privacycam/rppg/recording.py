"""What an attacker who records the call sees: every attacker view's colour trace over all
the frames sent so far, and the colour mixes that whole-trace estimators fit on it.

PBV and ICA fit one colour mix on the whole trace they are given. Run on a recording, they
fit it on minutes of frames, not on the few seconds refine plans from, and the mix they
find there reads the coming frames differently. Refine holds the recording's mix fixed for
a plan's steps (the planned frames barely move a mix fitted on a long recording) and works
against it as one more attacker, named ``"<estimator>@recording"``.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from privacycam.config import RECORDING_SUFFIX
from privacycam.rppg.classical import ica_weights, pbv_weights

if TYPE_CHECKING:
    from privacycam.editors.base import Window

COLOUR_MIXES: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {"pbv": pbv_weights, "ica": ica_weights}
RECORDING_S = 120.0  # the span kept: a longer recording moves a mix fitted on it little
MIN_RECORDING_S = 2.0  # a mix fitted on less is noise (and the window's own attackers see all of it)
GAP_S = 0.5  # a break this long in the frames sent (the face was lost) starts a new recording


def sent_view_colours(window: Window) -> np.ndarray:
    """(T-1, V, 3) BGR mean colour of every attacker view in the frames the window holds
    that were already sent (all but the newest): the original plus the edit applied."""
    return window.view_colours[:-1] + window.view_shares[:-1, :, None] * window.edits[:-1, None, :]


def recording_attacker(name: str) -> str | None:
    """The estimator of a ``"<estimator>@recording"`` attacker name, else None."""
    return name.removesuffix(RECORDING_SUFFIX) if name.endswith(RECORDING_SUFFIX) else None


class SentRecording:
    """The RGB colour trace of every attacker view over the frames sent so far (up to
    ``max_s`` seconds), fed with each window the planner sees."""

    def __init__(self, max_s: float = RECORDING_S) -> None:
        self.max_s = max_s
        self._chunks: deque[tuple[np.ndarray, np.ndarray]] = deque()  # (timestamps (n,), RGB (n, V, 3))

    @property
    def seconds(self) -> float:
        if not self._chunks:
            return 0.0
        return float(self._chunks[-1][0][-1] - self._chunks[0][0][0])

    @property
    def last_time(self) -> float:
        return float(self._chunks[-1][0][-1]) if self._chunks else -np.inf

    def update(self, window: Window) -> None:
        """Append the window's sent frames newer than the recording; a window that does not
        continue it (a gap, time running backwards, another set of views) starts a new one."""
        times = window.timestamps[:-1]
        if window.view_colours is None or not len(times):
            return
        last = self.last_time
        if self._chunks and (
            window.view_colours.shape[1] != self._chunks[-1][1].shape[1] or times[0] > last + GAP_S or times[-1] < last
        ):
            self._chunks.clear()
            last = -np.inf
        new = times > last
        if new.any():
            self._chunks.append((times[new], sent_view_colours(window)[new][..., ::-1].astype(np.float64)))
        while self._chunks and self._chunks[0][0][-1] < self.last_time - self.max_s:
            self._chunks.popleft()

    def trace(self) -> np.ndarray:
        """(n, V, 3) RGB."""
        return np.concatenate([colours for _, colours in self._chunks])

    def attacker(self, estimator: str, fps: float) -> Callable[[torch.Tensor, float], torch.Tensor] | None:
        """``estimator``'s colour mix fitted on each view of the recording, as a differentiable
        attacker on (V, N, 3) RGB view traces; None while the recording is shorter than
        :data:`MIN_RECORDING_S` or the fit fails (a flat trace)."""
        if self.seconds < MIN_RECORDING_S:
            return None
        trace = self.trace()
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # an unconverged mix is what the attacker would use too
            try:
                mixes = np.stack([COLOUR_MIXES[estimator](trace[:, v], fps) for v in range(trace.shape[1])])
            except (np.linalg.LinAlgError, ValueError):
                return None
        if not np.isfinite(mixes).all():
            return None
        weights = torch.from_numpy(mixes)[:, :, None]  # (V, 3, 1)

        def read(views: torch.Tensor, fps: float) -> torch.Tensor:
            return (views @ weights).squeeze(-1)  # (V, N); the offset is band-passed away

        return read
