"""Pseudo-labels for real clips: the consensus of the classical estimators."""

from __future__ import annotations

import numpy as np

from privacycam.rppg.classical import Chrom, Lgi, Omit, Pos, rgb_trace
from privacycam.rppg.deep.inject import BLOOD_VOLUME_RGB
from privacycam.rppg.heart_rate import bandpass

CONSENSUS = (Pos, Chrom, Lgi, Omit)


def _unit(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=-1, keepdims=True)
    return x / (x.std(axis=-1, keepdims=True) + 1e-12)


def aligned_waveforms(faces: np.ndarray, fps: float) -> np.ndarray:
    """(K, T) band-passed, standardised classical waveforms, each sign-aligned to POS."""
    waves = np.stack([_unit(bandpass(estimator().waveform(faces, fps), fps)) for estimator in CONSENSUS])
    signs = np.sign(waves @ waves[0])
    signs[signs == 0] = 1.0
    return waves * signs[:, None]


def consensus(waves: np.ndarray) -> np.ndarray:
    """The mean of aligned waveforms (K, T) or (K, L), standardised."""
    return _unit(waves.mean(axis=0))


def agreement(waves: np.ndarray) -> float:
    """Mean Pearson correlation of each aligned waveform with their consensus (1 = all agree)."""
    waves = _unit(waves)
    return float((waves @ consensus(waves)).mean() / waves.shape[1])


def pulse_amplitude(faces: np.ndarray, fps: float, label: np.ndarray) -> float:
    """Grey levels along the blood-volume direction that follow ``label`` (unit std): LS fit, >= 0."""
    trace = bandpass(rgb_trace(faces) @ BLOOD_VOLUME_RGB, fps)
    return max(0.0, float(trace @ label / (label @ label)))
