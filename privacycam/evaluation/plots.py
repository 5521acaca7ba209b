"""PNG plots of an :class:`~privacycam.evaluation.report.EvalResult` (matplotlib, Agg canvas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from tqdm import tqdm

from privacycam.evaluation.report import EstimatorEval, EvalResult
from privacycam.rppg.heart_rate import HR_BAND_HZ, spectrum

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


def plot_estimator(e: EstimatorEval, fps: float, target_bpm: float | None, path: Path) -> Path:
    """Waveform and spectrum of one estimator, original vs filtered."""
    figure = _figure(10, 5.5)
    wave_axis, spec_axis = figure.subplots(2, 1)
    t = np.arange(len(e.waveform_original)) / fps
    wave_axis.plot(t, _unit(e.waveform_original), lw=1, **ORIGINAL_STYLE)
    wave_axis.plot(t, _unit(e.waveform_filtered), lw=1, alpha=0.85, **FILTERED_STYLE)
    wave_axis.set(xlabel="time (s)", ylabel="band-passed waveform (z)", title=f"{e.name} ({e.family}): r = {e.pearson_r:+.2f}")
    wave_axis.legend(loc="upper right")
    for wave, style, hr in ((e.waveform_original, ORIGINAL_STYLE, e.hr_original), (e.waveform_filtered, FILTERED_STYLE, e.hr_filtered)):
        freqs, power = spectrum(wave, fps)
        band = (freqs >= HR_BAND_HZ[0]) & (freqs <= HR_BAND_HZ[1])
        spec_axis.plot(freqs[band] * 60, power[band] / power[band].max(), color=style["color"], label=f"{style['label']}: {hr:.1f} bpm")
        spec_axis.axvline(hr, color=style["color"], ls=":", lw=1)
    if target_bpm is not None:
        spec_axis.axvline(target_bpm, color="k", ls="--", lw=1, label=f"target {target_bpm:g} bpm")
    spec_axis.set(xlabel="heart rate (bpm)", ylabel="normalised power")
    spec_axis.legend(loc="upper right")
    return _save(figure, path)


def plot_windows(result: EvalResult, path: Path) -> Path:
    """Heart rate per 10-s window for every estimator, original (dashed) vs filtered (solid)."""
    figure = _figure(10, 5)
    axis = figure.subplots()
    colours = [f"C{i % 10}" for i in range(len(result.estimators))]
    for e, colour in zip(result.estimators, colours):
        axis.plot(e.window_times_s, e.windows_original, ls="--", marker="o", mfc="none", color=colour, alpha=0.6)
        axis.plot(e.window_times_s, e.windows_filtered, ls="-", marker="x", color=colour, label=e.name)
    if result.target_bpm is not None:
        axis.axhline(result.target_bpm, color="k", ls=":", label=f"target {result.target_bpm:g}")
    axis.set(xlabel="window centre (s)", ylabel="heart rate (bpm)", title="HR per window: original (dashed, o) vs filtered (solid, x)")
    axis.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(figure, path)


def plot_edit(result: EvalResult, path: Path) -> Path:
    """The original frame with the attacker's face box, and the amplified mean |edit| per pixel."""
    figure = _figure(11, 5)
    frame_axis, heat_axis = figure.subplots(1, 2)
    frame_axis.imshow(result.first_frame[:, :, ::-1])
    box = result.face_boxes[0]
    frame_axis.add_patch(Rectangle((box.x, box.y), box.w, box.h, fill=False, color="lime", lw=1.5))
    frame_axis.set(title="original, attacker's face box", xticks=[], yticks=[])
    vmax = max(float(np.percentile(result.diff_map, 99.5)), 1e-3)
    image = heat_axis.imshow(result.diff_map, cmap="inferno", vmin=0.0, vmax=vmax)
    heat_axis.set(title=f"mean |filtered − original| (colour ×{255 / vmax:.0f})", xticks=[], yticks=[])
    figure.colorbar(image, ax=heat_axis, label="grey levels")
    return _save(figure, path)


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
