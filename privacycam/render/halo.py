"""The spoof target on the pixels around the skin: the halo.

An rPPG attacker reads the mean colour of a box around the face, and most of that box is not
skin (hair, background, eyes, lips). The pulse edit changes only the skin, so in the box it is
diluted by the non-skin share and must out-shout whatever those pixels carry (on the shared
talking-head clips, motion at the original rate that GREEN and PBV read: docs/benchmarks.md,
"Erase"). In spoof-hr the halo continues the skin's target onto the non-skin
pixels of the square an attacker crops (1.5x the face), tapered to zero towards its edges:
one colour per frame, the skin's target as a relative change (the plan's edit minus the plan
at zero drive, over the skin's mean colour) times the halo's own mean colour, times
``strength``. In the box's normalised colour, which every classical estimator reads, it then
points where the skin's target does, so it adds to it for all of them (an absolute
blood-volume colour did not, measured at 006d3a1), and one colour over many pixels
costs the least PSNR for the box-mean change it buys. :class:`HaloGain` turns the halo down
whenever the frames' edits as a whole would fall below :data:`HALO_MIN_PSNR_DB`.

Opt-in (``--halo 0.4``): on the six shared clips it takes the spoof misses from 15 to 10
estimator-windows, but its guard reacts too late to keep evm_face and lp_d6 at
45 dB (44.93 and 44.79 dB; docs/benchmarks.md, "Halo").
"""

from __future__ import annotations

import math

import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1

HALO_MIN_PSNR_DB = 46.0  # whole-frame PSNR below which the halo backs off (the fidelity target is ≥ 45)
TAPER_FRACTION = 1.0 / 6.0  # the halo fades to zero over this share of the square's side at each edge


def halo_weights(region: Box, skin: np.ndarray, skin_box: Box) -> np.ndarray:
    """(h, w) weights in 0..1 over ``region``: 1 − ``skin`` (the mask over ``skin_box``, which
    ``region`` contains) times a raised-cosine taper to 0 at the region's edges."""
    x0, y0, x1, y1 = region
    weights = np.outer(_taper(y1 - y0), _taper(x1 - x0))
    sx0, sy0, sx1, sy1 = skin_box
    weights[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] *= 1.0 - skin
    return weights


def halo_colour(weights: np.ndarray, pixels: np.ndarray, relative: np.ndarray, step: int = 4) -> np.ndarray:
    """The (3,) colour change that is ``relative`` (per channel, same order as ``pixels``) of
    the ``weights``-weighted mean colour of ``pixels`` (sampled every ``step`` rows and columns)."""
    w = weights[::step, ::step]
    mean = np.tensordot(w, pixels[::step, ::step].astype(np.float32), axes=2) / max(float(w.sum()), 1e-6)
    return (relative * mean).astype(np.float32)


def halo_edit(weights: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """The (h, w, 3) float32 edit: ``colour`` times each pixel's weight."""
    return weights[..., None] * colour


class HaloGain:
    """The halo's strength, stepped down 1 % a frame while the edits' running mean squared
    change per pixel (over whole frames, about the last 3 s: what PSNR scores) is above what
    ``min_psnr_db`` allows, and up again while it is below, never above ``strength``. Equal
    steps both ways settle where the running cost sits at the limit half the time, so a
    clip's PSNR lands at about ``min_psnr_db``; 1 % a frame is an envelope far slower than
    the pulse."""

    def __init__(self, strength: float, min_psnr_db: float = HALO_MIN_PSNR_DB, memory_frames: int = 90) -> None:
        self.strength = strength
        self.gain = strength / 2  # half way until the first frames show what the edits cost
        self._limit = 255.0**2 * 10.0 ** (-min_psnr_db / 10.0)
        self._alpha = 1.0 / memory_frames
        self._mse: float | None = None

    def observe(self, frame_mse: float) -> None:
        """Take one sent frame's mean squared change per pixel and channel."""
        self._mse = frame_mse if self._mse is None else self._mse + self._alpha * (frame_mse - self._mse)
        if self._mse > self._limit:
            self.gain *= 0.99
        else:
            self.gain = min(self.strength, self.gain * 1.01 + 1e-3)

    @property
    def psnr_db(self) -> float:
        """The running whole-frame PSNR of the edits (inf before any frame)."""
        return math.inf if not self._mse else 10.0 * math.log10(255.0**2 / self._mse)


def _taper(n: int) -> np.ndarray:
    ramp = np.minimum(np.arange(n), np.arange(n)[::-1]) / max(1.0, n * TAPER_FRACTION)
    return (0.5 - 0.5 * np.cos(np.pi * np.clip(ramp, 0.0, 1.0))).astype(np.float32)
