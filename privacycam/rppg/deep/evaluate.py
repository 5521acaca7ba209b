"""Heart-rate checks of an estimator on real clips and on clips with an injected pulse."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from privacycam.pulse.target import synthetic_ppg
from privacycam.rppg.base import Estimator
from privacycam.rppg.deep.data import Clip
from privacycam.rppg.deep.inject import dither, inject_pulse
from privacycam.rppg.heart_rate import heart_rate


def injected_clip(faces: np.ndarray, fps: float, bpm: float, amplitude: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``faces`` with a synthetic PPG at ``bpm`` added (``amplitude`` grey levels), dithered: (uint8 faces, pulse)."""
    pulse = synthetic_ppg(len(faces) / fps, fps, bpm, seed=seed)[: len(faces)]
    return dither(inject_pulse(faces, pulse, amplitude), np.random.default_rng(seed)), pulse


def evaluate(estimator: Estimator, clips: Sequence[Clip], bpms: tuple[float, ...], amplitude: float, seed: int = 1000) -> dict:
    """Per clip: HR read vs the clip's label HR, and |HR error| on injected-pulse copies.

    The injected reference is the HR the same metric reads on the injected waveform itself
    (``ref``); the error against the nominal rate is reported too.
    """
    report: dict = {}
    for clip in clips:
        entry = {
            "hr": heart_rate(estimator.waveform(clip.faces, clip.fps), clip.fps),
            "label_hr": heart_rate(clip.label, clip.fps),
            "injected": [],
        }
        for i, bpm in enumerate(bpms):
            faces, pulse = injected_clip(clip.faces, clip.fps, bpm, amplitude, seed + i)
            hr = heart_rate(estimator.waveform(faces, clip.fps), clip.fps)
            ref = heart_rate(pulse, clip.fps)
            entry["injected"].append({"bpm": bpm, "ref": ref, "hr": hr, "error": abs(hr - ref), "error_nominal": abs(hr - bpm)})
        entry["injected_mae"] = float(np.mean([e["error"] for e in entry["injected"]])) if bpms else float("nan")
        report[clip.name] = entry
    return report
