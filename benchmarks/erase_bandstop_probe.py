"""Erase by removing the pulse band from every pixel: a causal band-stop per cell of a coarse level.

Each frame is averaged into ``--cell``-pixel cells; every cell's colour goes through a causal
Butterworth band-stop over the pulse band, and the change is upsampled (cubic) and added to the
frame with stochastic rounding. Any box mean is linear in the pixels, so every attacker box loses
the band, whatever box it holds. Read by the attackers of ``published_attackers.py`` in the
boxes found on the original, counted by the competence rule; whole-frame PSNR.

    .venv/bin/python benchmarks/erase_bandstop_probe.py lp_d20 --cell 8 16 32
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from published_attackers import DATA, DEFAULT_ATTACKERS
from scipy import signal

from privacycam.evaluation import metrics
from privacycam.evaluation.report import attacker_verdicts, compare_waveforms
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import CROP_SIZE, WINDOW_S, crop, open_video, with_boxes


def band_stopped(frames: list[np.ndarray], fps: float, cell: int, band_hz: tuple[float, float], order: int) -> list[np.ndarray]:
    """``frames`` with the pulse band removed from each ``cell`` x ``cell`` cell's colour, causally."""
    sos = signal.butter(order, band_hz, btype="bandstop", fs=fps, output="sos")
    height, width = frames[0].shape[:2]
    size = (max(1, round(width / cell)), max(1, round(height / cell)))
    state, out, rng = None, [], np.random.default_rng(0)
    for frame in frames:
        small = cv2.resize(frame.astype(np.float32), size, interpolation=cv2.INTER_AREA).reshape(1, -1)
        if state is None:  # start in the steady state of the first frame
            state = signal.sosfilt_zi(sos)[:, :, None] * small[None]
        stopped, state = signal.sosfilt(sos, small, axis=0, zi=state)
        change = cv2.resize((stopped - small).reshape(size[1], size[0], 3), (width, height), interpolation=cv2.INTER_CUBIC)
        out.append(np.clip(np.floor(frame + change + rng.random(frame.shape, dtype=np.float32)), 0, 255).astype(np.uint8))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("--cell", type=int, nargs="+", default=[16])
    parser.add_argument("--band", type=float, nargs=2, default=[0.6, 4.0])
    parser.add_argument("--order", type=int, default=2)
    args = parser.parse_args()
    info, frames = open_video(DATA / f"{args.clip}.mp4")
    original, fps = list(frames), info.fps
    attackers = load_estimators(list(DEFAULT_ATTACKERS))
    boxes = [box for _, box in with_boxes(iter(original), max(1, round(WINDOW_S * fps)))]
    crops_o = np.stack([crop(f, b, CROP_SIZE) for f, b in zip(original, boxes)])
    raw_o = {a.name: a.waveform(crops_o, fps) for a in attackers}
    for cell in args.cell:
        edited = band_stopped(original, fps, cell, tuple(args.band), args.order)
        crops_f = np.stack([crop(f, b, CROP_SIZE) for f, b in zip(edited, boxes)])
        psnr = metrics.psnr_from_mse(float(np.mean([metrics.mse(x, y) for x, y in zip(original, edited)])))
        readings = [compare_waveforms(a.name, a.family, raw_o[a.name], a.waveform(crops_f, fps), fps, None) for a in attackers]
        attacker_verdicts(readings, None)
        counted = [e for e in readings if e.counted]
        kept = ", ".join(f"{e.name} (r {e.pearson_r:+.2f}, {e.within_original:.0%})" for e in counted if not e.defeated)
        print(f"{args.clip} cell {cell}: {sum(e.defeated for e in counted)} of {len(counted)} lost the pulse, "
              f"PSNR {psnr:.2f} dB; still reading: {kept}", flush=True)


if __name__ == "__main__":
    main()
