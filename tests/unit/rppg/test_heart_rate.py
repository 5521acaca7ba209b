"""Heart rate, windowed heart rate, SNR and band-pass on signals with a known frequency."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacycam.rppg.heart_rate import RESOLUTION_BPM, bandpass, heart_rate, snr_at, windowed_heart_rates


def sine(bpm: float, seconds: float, fps: float, phase: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * fps))) / fps
    return np.sin(2 * np.pi * bpm / 60.0 * t + phase)


@settings(max_examples=40, deadline=None)
@given(bpm=st.floats(45.0, 200.0), fps=st.sampled_from([15.0, 25.0, 30.0, 60.0]), seconds=st.floats(8.0, 30.0))
def test_heart_rate_resolves_off_grid_rates(bpm: float, fps: float, seconds: float) -> None:
    # a tone between the FFT bins of the unpadded signal (spaced 6-7.5 bpm here) reads within 0.5 bpm
    x = sine(bpm, seconds, fps) + 0.5 * sine(0.2 * 60, seconds, fps)  # plus a 0.2 Hz drift
    assert abs(heart_rate(x, fps) - bpm) < 0.5


def test_heart_rate_ignores_out_of_band_power() -> None:
    fps = 30.0
    x = 0.3 * sine(72.0, 12, fps) + 5.0 * sine(20.0, 12, fps) + 5.0 * sine(300.0, 12, fps)
    assert heart_rate(x, fps) == pytest.approx(72.0, abs=RESOLUTION_BPM)


def test_bandpass_keeps_band_and_removes_the_rest() -> None:
    fps = 30.0
    inside, outside = sine(90.0, 20, fps), sine(12.0, 20, fps) + sine(360.0, 20, fps)
    filtered = bandpass(inside + outside, fps)
    core = slice(60, -60)  # away from the edges
    assert np.corrcoef(filtered[core], inside[core])[0, 1] > 0.99
    assert np.std(bandpass(outside, fps)[core]) < 0.1


def test_windowed_heart_rates_follow_a_rate_change() -> None:
    fps = 30.0
    x = np.concatenate([sine(60.0, 15, fps), sine(100.0, 15, fps)])
    times, bpms = windowed_heart_rates(x, fps, window_s=10, hop_s=1)
    assert len(times) == len(bpms) == 21  # 30-s clip, 10-s windows, 1-s hop
    assert times[0] == pytest.approx(5.0) and times[-1] == pytest.approx(25.0)
    assert np.all(np.abs(bpms[times <= 10] - 60.0) <= 1.0)
    assert np.all(np.abs(bpms[times >= 20] - 100.0) <= 1.0)


def test_short_clip_gives_one_whole_clip_window() -> None:
    fps = 30.0
    x = sine(80.0, 6, fps)
    times, bpms = windowed_heart_rates(x, fps)
    assert times.tolist() == [pytest.approx(3.0)]
    assert bpms[0] == pytest.approx(heart_rate(x, fps))


def test_snr_is_high_at_the_pulse_and_low_elsewhere() -> None:
    fps = 30.0
    rng = np.random.default_rng(0)
    x = sine(75.0, 20, fps) + 0.5 * sine(150.0, 20, fps) + 0.3 * rng.normal(size=600)
    assert snr_at(x, fps, 75.0) > 5.0
    assert snr_at(x, fps, 110.0) < -5.0
    assert snr_at(rng.normal(size=600), fps, 75.0) < 0.0
