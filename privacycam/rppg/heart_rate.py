"""Heart rate from a pulse waveform (rPPG-Toolbox convention: band-pass, then spectral peak)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import fft, signal

HR_BAND_HZ = (0.7, 3.5)
RESOLUTION_BPM = 0.25  # spectral grid spacing used for the argmax (zero-padded periodogram)
SNR_HALF_WIDTH_BPM = 6.0


def bandpass(x: np.ndarray, fps: float, lo: float = HR_BAND_HZ[0], hi: float = HR_BAND_HZ[1], order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth band-pass of ``x`` (last axis) between ``lo`` and ``hi`` Hz."""
    x = np.asarray(x, dtype=np.float64)
    sos = _butter_bandpass(order, lo, min(hi, 0.45 * fps), fps).copy()  # scipy's filter wants it writable
    padlen = min(x.shape[-1] - 1, 3 * (2 * len(sos) + 1))
    return signal.sosfiltfilt(sos, x, axis=-1, padlen=padlen)


@lru_cache(maxsize=64)
def _butter_bandpass(order: int, lo: float, hi: float, fps: float) -> np.ndarray:
    """Second-order sections of a Butterworth band-pass (shared by the cache: copy to use)."""
    return signal.butter(order, [lo, hi], btype="bandpass", fs=fps, output="sos")


def spectrum(waveform: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Band-passed, zero-padded periodogram: (frequencies in Hz, power)."""
    return band_passed_spectrum(bandpass(waveform, fps), fps)


def band_passed_spectrum(x: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`spectrum` of a waveform that is already band-passed (no second band-pass)."""
    nfft = max(fft.next_fast_len(len(x)), int(np.ceil(60.0 * fps / RESOLUTION_BPM)))
    return signal.periodogram(x, fs=fps, nfft=nfft, detrend="constant")


def _band(freqs: np.ndarray) -> np.ndarray:
    return (freqs >= HR_BAND_HZ[0]) & (freqs <= HR_BAND_HZ[1])


def heart_rate(waveform: np.ndarray, fps: float) -> float:
    """Heart rate in bpm: argmax of the band-passed periodogram within 0.7-3.5 Hz."""
    freqs, power = spectrum(waveform, fps)
    band = _band(freqs)
    return float(freqs[band][np.argmax(power[band])] * 60.0)


def windowed_heart_rates(
    waveform: np.ndarray, fps: float, window_s: float = 10.0, hop_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Heart rate per sliding window: (window centre times in s, bpm).

    A waveform shorter than one window gives a single whole-clip window.
    """
    waveform = np.asarray(waveform, dtype=np.float64)
    n = len(waveform)
    win = int(round(window_s * fps))
    hop = max(1, int(round(hop_s * fps)))
    starts = np.arange(0, n - win + 1, hop) if n >= win else np.array([0])
    win = min(win, n)
    bpms = np.array([heart_rate(waveform[s : s + win], fps) for s in starts])
    return (starts + win / 2.0) / fps, bpms


def snr_at(waveform: np.ndarray, fps: float, bpm: float) -> float:
    """SNR in dB: power within ±6 bpm of ``bpm`` and of its first harmonic vs the rest of the band."""
    freqs, power = spectrum(waveform, fps)
    band = _band(freqs)
    bpm_axis = freqs * 60.0
    near = (np.abs(bpm_axis - bpm) <= SNR_HALF_WIDTH_BPM) | (np.abs(bpm_axis - 2.0 * bpm) <= SNR_HALF_WIDTH_BPM)
    signal_power = power[band & near].sum()
    noise_power = power[band & ~near].sum()
    tiny = np.finfo(np.float64).tiny
    return float(10.0 * np.log10(max(signal_power, tiny) / max(noise_power, tiny)))
