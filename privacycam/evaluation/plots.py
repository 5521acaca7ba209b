"""PNG plots of an :class:`~privacycam.evaluation.report.EvalResult` (matplotlib, Agg canvas)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from tqdm import tqdm

from privacycam.evaluation.report import EstimatorEval, EvalResult
from privacycam.rppg.heart_rate import HR_BAND_HZ, band_passed_spectrum

ORIGINAL_STYLE = {"color": "tab:blue", "label": "original"}
FILTERED_STYLE = {"color": "tab:red", "label": "filtered"}


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, dpi=110)
    return path


def _unit(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() or 1.0)


def spectrum_curves(e: EstimatorEval, fps: float) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(label, bpm, normalised power, heart rate) of the original and the filtered reading.

    The curve is the spectrum the heart rate was read from (the stored waveforms are already
    band-passed), so the legend's rate, its marker and the curve's tallest peak agree.
    """
    curves = []
    for wave, style, hr in ((e.waveform_original, ORIGINAL_STYLE, e.hr_original), (e.waveform_filtered, FILTERED_STYLE, e.hr_filtered)):
        freqs, power = band_passed_spectrum(wave, fps)
        band = (freqs >= HR_BAND_HZ[0]) & (freqs <= HR_BAND_HZ[1])
        curves.append((f"{style['label']}: {hr:.1f} bpm", freqs[band] * 60, power[band] / (power[band].max() or 1.0), hr))
    return curves


def estimator_figure(e: EstimatorEval, fps: float, target_bpm: float | None) -> Figure:
    """Waveform and spectrum of one estimator, original vs filtered."""
    figure = _figure(10, 5.5)
    wave_axis, spec_axis = figure.subplots(2, 1)
    t = np.arange(len(e.waveform_original)) / fps
    wave_axis.plot(t, _unit(e.waveform_original), lw=1, **ORIGINAL_STYLE)
    wave_axis.plot(t, _unit(e.waveform_filtered), lw=1, alpha=0.85, **FILTERED_STYLE)
    wave_axis.set(xlabel="time (s)", ylabel="band-passed waveform (z)", title=f"{e.name} ({e.family}): r = {e.pearson_r:+.2f}")
    wave_axis.legend(loc="upper right")
    for (label, bpm, power, hr), style in zip(spectrum_curves(e, fps), (ORIGINAL_STYLE, FILTERED_STYLE)):
        spec_axis.plot(bpm, power, color=style["color"], label=label)
        spec_axis.plot([hr], [float(np.interp(hr, bpm, power))], "v", color=style["color"], ms=7)
    if target_bpm is not None:
        spec_axis.axvline(target_bpm, color="k", ls="--", lw=1, label=f"target {target_bpm:g} bpm")
    spec_axis.set(xlabel="heart rate (bpm)", ylabel="normalised power", title="whole-clip spectrum (▼ = the rate read)")
    spec_axis.legend(loc="upper right")
    return figure


def plot_estimator(e: EstimatorEval, fps: float, target_bpm: float | None, path: Path) -> Path:
    """Waveform and spectrum of one estimator, original vs filtered, as a PNG."""
    return _save(estimator_figure(e, fps, target_bpm), path)


def windows_figure(result: EvalResult) -> Figure:
    """Heart rate per 10-s window, one small panel per estimator (shared axes)."""
    count = len(result.estimators)
    columns = min(3, max(count, 1))
    rows = max(1, math.ceil(count / columns))
    figure = _figure(3.4 * columns, 2.4 * rows + 0.6)
    axes = np.atleast_1d(figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)).ravel()
    for axis, e in zip(axes, result.estimators):
        axis.plot(e.window_times_s, e.windows_original, ls="--", marker="o", mfc="none", **ORIGINAL_STYLE)
        axis.plot(e.window_times_s, e.windows_filtered, ls="-", marker="x", **FILTERED_STYLE)
        if result.target_bpm is not None:
            axis.axhline(result.target_bpm, color="k", ls=":", lw=1, label=f"target {result.target_bpm:g}")
        axis.set_title(e.name, fontsize=10)
    for axis in axes[count:]:
        axis.set_visible(False)
    axes[0].legend(loc="best", fontsize=8)
    figure.supxlabel("window centre (s)")
    figure.supylabel("heart rate (bpm)")
    figure.suptitle("heart rate per 10-s window: original (dashed, o) vs filtered (solid, x)")
    return figure


def plot_windows(result: EvalResult, path: Path) -> Path:
    """:func:`windows_figure` as a PNG."""
    return _save(windows_figure(result), path)


def edit_figure(result: EvalResult) -> Figure:
    """The original frame with the attacker's face box, and the mean |edit| per pixel."""
    figure = _figure(11, 5)
    frame_axis, heat_axis = figure.subplots(1, 2)
    frame_axis.imshow(result.first_frame[:, :, ::-1])
    box = result.face_boxes[0]
    frame_axis.add_patch(Rectangle((box.x, box.y), box.w, box.h, fill=False, color="lime", lw=1.5))
    frame_axis.set(title="original, attacker's face box", xticks=[], yticks=[])
    vmax = max(float(np.percentile(result.diff_map, 99.5)), 1e-3)
    image = heat_axis.imshow(result.diff_map, cmap="inferno", vmin=0.0, vmax=vmax)
    heat_axis.set(
        title=f"mean |filtered − original| per pixel\n(brightest = {vmax:.2f} grey levels of 255: colours stretched {255 / vmax:.0f}×)",
        xticks=[],
        yticks=[],
    )
    figure.colorbar(image, ax=heat_axis, label="grey levels (0-255 scale)")
    return figure


def plot_edit(result: EvalResult, path: Path) -> Path:
    """:func:`edit_figure` as a PNG."""
    return _save(edit_figure(result), path)


def write_plots(result: EvalResult, out_dir: Path) -> list[Path]:
    """All plots of ``result`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        plot_estimator(e, result.fps, result.target_bpm, out_dir / f"estimator_{e.name}.png")
        for e in tqdm(result.estimators, desc="plots", leave=False, disable=None)
    ]
    paths.append(plot_windows(result, out_dir / "hr_windows.png"))
    paths.append(plot_edit(result, out_dir / "edit_heatmap.png"))
    return paths
