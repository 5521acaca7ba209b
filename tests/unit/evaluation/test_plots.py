"""The eval plots say what the table says: spectrum legend, marker and curve agree; per-window
panels stay readable; the edit heat map explains its colour scale. Rendered PNGs are checked too."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np

from privacycam.evaluation.plots import edit_figure, spectrum_curves, windows_figure, write_plots
from privacycam.evaluation.report import EstimatorEval, EvalResult, Fidelity
from privacycam.rppg.heart_rate import HR_BAND_HZ, bandpass, heart_rate, spectrum, windowed_heart_rates
from privacycam.rppg.roi import Box

FPS = 30.0


def _reading(name: str, raw_original: np.ndarray, raw_filtered: np.ndarray) -> EstimatorEval:
    """An estimator's evaluation built the way :func:`evaluate` builds it from raw waveforms."""
    times, win_o = windowed_heart_rates(raw_original, FPS)
    _, win_f = windowed_heart_rates(raw_filtered, FPS)
    return EstimatorEval(
        name=name, family="classical", hr_original=heart_rate(raw_original, FPS), hr_filtered=heart_rate(raw_filtered, FPS),
        window_times_s=times.tolist(), windows_original=win_o.tolist(), windows_filtered=win_f.tolist(),
        pearson_r=0.1, snr_filtered_db=-5.0, snr_original_db=3.0, within_original=0.0, target_mae=1.0, within_target=1.0,
        waveform_original=bandpass(raw_original, FPS), waveform_filtered=bandpass(raw_filtered, FPS),
    )


def _near_band_edge() -> np.ndarray:
    # the tallest peak near the band's low edge (45.8 bpm), a slightly smaller one at 70 bpm
    t = np.arange(360) / FPS
    return np.sin(2 * np.pi * 45.8 / 60 * t) + 0.5 * np.sin(2 * np.pi * 70 / 60 * t + 1)


def _result(count: int = 9) -> EvalResult:
    rng = np.random.default_rng(0)
    t = np.arange(360) / FPS
    estimators = [_reading("edge", _near_band_edge(), np.sin(2 * np.pi * 1.5 * t))]
    for i in range(count - 1):
        estimators.append(_reading(f"e{i}", np.sin(2 * np.pi * 1.1 * t) + rng.normal(0, 0.5, 360), np.sin(2 * np.pi * 1.5 * t)))
    diff = np.zeros((48, 64), np.float32)
    diff[10:30, 20:40] = 0.05
    return EvalResult(
        original="o.mkv", filtered="f.mkv", fps=FPS, frames=360, width=64, height=48, target_bpm=90.0,
        fidelity=Fidelity(58.0, 1.0, 44.0, 0.99, 0.02, 20), estimators=estimators,
        face_boxes=[Box(20, 10, 20, 20)] * 360, diff_map=diff, first_frame=np.zeros((48, 64, 3), np.uint8),
    )


def test_spectrum_legend_marker_and_tallest_peak_agree() -> None:
    edge = _result(1).estimators[0]
    freqs, power = spectrum(edge.waveform_original, FPS)  # the curve once drawn: band-passed twice
    band = (freqs >= HR_BAND_HZ[0]) & (freqs <= HR_BAND_HZ[1])
    assert abs(freqs[band][np.argmax(power[band])] * 60 - edge.hr_original) > 10, "no disagreement left to test"
    for label, bpm, curve, hr in spectrum_curves(edge, FPS):
        assert bpm[np.argmax(curve)] == hr and f"{hr:.1f} bpm" in label


def test_windows_are_small_multiples_one_estimator_each() -> None:
    result = _result(9)
    figure = windows_figure(result)
    panels = [axis for axis in figure.axes if axis.get_visible()]
    assert len(panels) == 9 and [axis.get_title() for axis in panels] == [e.name for e in result.estimators]
    assert all(len(axis.get_lines()) <= 3 for axis in panels)  # original, filtered, target


def test_heat_map_title_explains_the_colour_scale() -> None:
    title = edit_figure(_result(1)).axes[1].get_title()
    assert "grey levels" in title and "stretched" in title and "0.05" in title


def test_write_plots_renders_every_png(tmp_path: Path) -> None:
    paths = write_plots(_result(9), tmp_path)
    assert {p.name for p in paths} >= {"hr_windows.png", "edit_heatmap.png", "estimator_edge.png"}
    for path in paths:
        assert matplotlib.image.imread(path).std() > 0.01, path
