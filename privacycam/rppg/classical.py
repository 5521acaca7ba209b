"""Classical rPPG estimators in numpy/scipy, following the rPPG-Toolbox implementations.

Every estimator reduces the face crops to a spatial-mean RGB trace (T, 3) and maps that to
a pulse waveform. Heart-rate post-processing (band-pass, spectral peak) lives in
:mod:`privacycam.rppg.heart_rate`; the waveforms here are the algorithms' raw outputs.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal
from sklearn.decomposition import FastICA

from privacycam.rppg.base import Estimator
from privacycam.rppg.heart_rate import HR_BAND_HZ, bandpass, spectrum

WINDOW_S = 1.6  # CHROM / POS short-time window
CHROM_BAND_HZ = (0.7, 2.5)  # CHROM's in-window filter band (rPPG-Toolbox)
POS_PROJECTION = np.array([[0.0, 1.0, -1.0], [-2.0, 1.0, 1.0]])


def rgb_trace(faces: np.ndarray) -> np.ndarray:
    """Spatial mean of each frame's RGB: (T, H, W, 3) -> (T, 3) float64."""
    faces = np.asarray(faces)
    if faces.ndim != 4 or faces.shape[-1] != 3:
        raise ValueError(f"expected (T, H, W, 3) face crops, got shape {faces.shape}")
    return faces.reshape(faces.shape[0], -1, 3).mean(axis=1, dtype=np.float64)


def chrom_window_length(fps: float) -> int:
    """CHROM's window: ceil(1.6 s * fps), rounded up to even (half-overlapping Hann windows)."""
    length = math.ceil(WINDOW_S * fps)
    return length + (length % 2)


def pos_window_length(fps: float) -> int:
    """POS's window: ceil(1.6 s * fps) frames, sliding by one frame."""
    return math.ceil(WINDOW_S * fps)


def _project_out_dominant(rgb: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Green channel of the RGB trace after removing its component along ``direction``."""
    direction = direction / np.linalg.norm(direction)
    projected = rgb.T - np.outer(direction, direction @ rgb.T)
    return projected[1]


class _TraceEstimator(Estimator):
    """An estimator that works on the spatial-mean RGB trace only."""

    def waveform(self, faces: np.ndarray, fps: float) -> np.ndarray:
        return self.from_trace(rgb_trace(faces), fps)

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        """Pulse waveform (T,) from a (T, 3) RGB trace."""
        raise NotImplementedError


class Green(_TraceEstimator):
    """GREEN (Verkruysse 2008): the mean green channel."""

    name = "green"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        return rgb[:, 1].copy()


class Chrom(_TraceEstimator):
    """CHROM (de Haan & Jeanne 2013): chrominance signals, half-overlapping Hann windows."""

    name = "chrom"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        length = chrom_window_length(fps)
        half = length // 2
        taper = signal.windows.hann(length)
        out = np.zeros(len(rgb))
        for start in range(0, len(rgb) - length + 1, half):
            window = rgb[start : start + length]
            norm = window / window.mean(axis=0)
            xs = 3.0 * norm[:, 0] - 2.0 * norm[:, 1]
            ys = 1.5 * norm[:, 0] + norm[:, 1] - 1.5 * norm[:, 2]
            xf = bandpass(xs, fps, *CHROM_BAND_HZ, order=3)
            yf = bandpass(ys, fps, *CHROM_BAND_HZ, order=3)
            out[start : start + length] += (xf - xf.std() / yf.std() * yf) * taper
        return out


class Pos(_TraceEstimator):
    """POS (Wang 2017): plane-orthogonal-to-skin projection, overlap-added 1.6-s windows."""

    name = "pos"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        length = pos_window_length(fps)
        windows = sliding_window_view(rgb, length, axis=0)  # (N, 3, L)
        norm = windows / windows.mean(axis=2, keepdims=True)
        s = np.einsum("pc,ncl->npl", POS_PROJECTION, norm)  # (N, 2, L)
        h = s[:, 0] + s[:, 0].std(axis=1, keepdims=True) / s[:, 1].std(axis=1, keepdims=True) * s[:, 1]
        h -= h.mean(axis=1, keepdims=True)
        out = np.zeros(len(rgb))
        for start, piece in enumerate(h):
            out[start : start + length] += piece
        return out


class Lgi(_TraceEstimator):
    """LGI (Pilz 2018): remove the trace's principal (illumination) direction, keep green."""

    name = "lgi"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        u, _, _ = np.linalg.svd(rgb.T, full_matrices=False)
        return _project_out_dominant(rgb, u[:, 0])


class Omit(_TraceEstimator):
    """OMIT (Casado & López 2023): QR-based orthogonal projection, keep green."""

    name = "omit"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        q, _ = np.linalg.qr(rgb.T)
        return _project_out_dominant(rgb, q[:, 0])


class Pbv(_TraceEstimator):
    """PBV (de Haan & van Leest 2014): project onto the blood-volume pulse signature."""

    name = "pbv"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        return (rgb - rgb.mean(axis=0)) @ pbv_weights(rgb, fps)


def pbv_weights(rgb: np.ndarray, fps: float) -> np.ndarray:
    """PBV's colour mix of a (T, 3) trace: (3,) weights, the waveform being the trace's
    deviation from its mean times them."""
    mean = rgb.mean(axis=0)
    norm = rgb / mean - 1.0  # zero-mean normalised channels (T, 3)
    signature = norm.std(axis=0) / np.sqrt(norm.var(axis=0).sum())
    weights = np.linalg.solve(norm.T @ norm, signature)
    return weights / (signature @ weights) / mean


class Ica(_TraceEstimator):
    """ICA (Poh 2010): FastICA on the normalised trace; the source with the strongest in-band peak."""

    name = "ica"

    def from_trace(self, rgb: np.ndarray, fps: float) -> np.ndarray:
        filtered = bandpass(rgb.T, fps).T
        return (filtered - filtered.mean(axis=0)) @ _ica_mix(filtered, fps)


def ica_weights(rgb: np.ndarray, fps: float) -> np.ndarray:
    """ICA's colour mix of a (T, 3) trace: (3,) weights, the waveform being the band-passed
    trace's deviation from its mean times them."""
    return _ica_mix(bandpass(rgb.T, fps).T, fps)


def _ica_mix(filtered: np.ndarray, fps: float) -> np.ndarray:
    """(3,) weights of the pulse source of FastICA on the standardised band-passed (T, 3) trace."""
    spread = filtered.std(axis=0)
    _, unmixing, source = ica_pulse_unmixing((filtered - filtered.mean(axis=0)) / spread, fps)
    return unmixing[source] / spread


def ica_pulse_unmixing(normed: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray, int]:
    """FastICA (3 unit-variance sources) of a (T, 3) standardised trace: its mean (3,), the
    unmixing matrix (3, 3) (sources ``(normed - mean) @ unmixing.T``) and the index of the
    pulse source (see :func:`pulse_source`)."""
    model = FastICA(n_components=3, whiten="unit-variance", random_state=0, max_iter=1000).fit(normed)
    mean, unmixing = model.mean_, model.components_
    return mean, unmixing, pulse_source((normed - mean) @ unmixing.T, fps)


def pulse_source(sources: np.ndarray, fps: float) -> int:
    """Index of the (T, K) sources' column with the most dominant in-band spectral peak."""
    return int(np.argmax([_peak_share(s, fps) for s in sources.T]))


def _peak_share(x: np.ndarray, fps: float) -> float:
    """Largest in-band spectral bin as a share of the in-band power."""
    freqs, power = spectrum(x, fps)
    band = power[(freqs >= HR_BAND_HZ[0]) & (freqs <= HR_BAND_HZ[1])]
    return float(band.max() / band.sum())

