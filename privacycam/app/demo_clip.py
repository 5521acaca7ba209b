"""The demo's input: a clip of a public-domain portrait whose skin carries a known pulse."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.io.sinks import VideoFileSink
from privacycam.io.sources import SyntheticSource
from privacycam.pulse.colour import BLOOD_VOLUME_BGR
from privacycam.pulse.target import TargetPulse
from privacycam.render.dither import StochasticRounder


class PulsingPortraitSource(SyntheticSource):
    """The drifting astronaut portrait whose facial skin carries a known synthetic pulse.

    The pulse (a realistic PPG around ``bpm``) changes skin colour along the blood-volume
    direction by ``amplitude`` grey levels (relative to mean skin brightness), dithered.
    """

    def __init__(self, bpm: float, amplitude: float = 2.0, seed: int = 7, **kwargs) -> None:
        super().__init__(pattern="face", **kwargs)
        self._base = self._portrait.copy()
        tracker = FaceTracker(smooth=False)
        face = tracker.observe(self._base)
        tracker.close()
        if face is None:
            raise RuntimeError("the demo portrait has no detectable face")
        height, width = self._base.shape[:2]
        mask = skin_mask(face.landmarks, (0, 0, width, height))
        luma = self._base.astype(np.float32).mean(axis=2) / max(float(self._base.mean()), 1.0)
        self._pattern = (amplitude * mask * luma)[..., None] * (BLOOD_VOLUME_BGR / BLOOD_VOLUME_BGR.max())
        self._pulse = TargetPulse(bpm, seed=seed)
        self._rounder = StochasticRounder(seed=seed)

    def render(self, t: float) -> np.ndarray:
        self._portrait = self._rounder.add(self._base, (self._pulse.advance(t) * self._pattern).astype(np.float32))
        return super().render(t)


def make_demo_clip(
    path: Path, bpm: float, seconds: float = 12.0, fps: float = 30.0, size: tuple[int, int] = (640, 480)
) -> Path:
    """Write the demo input clip (lossless) with a known pulse around ``bpm``."""
    source = PulsingPortraitSource(bpm, width=size[0], height=size[1], fps=fps, frames=int(seconds * fps))
    with VideoFileSink(path, fps=fps, size=size) as sink:
        for frame in source:
            sink.write(frame.image)
    return path
