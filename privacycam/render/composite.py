"""A frame's planned edit onto its pixels: the canonical-grid edit warped back onto the face box
under its mask, de-identification's reshape, spoof-hr's halo around the face, and stochastic
rounding so that sub-grey-level edits survive in uint8."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from privacycam.config import DEFAULT_HALO_STRENGTH
from privacycam.editors.deid_apply import reshape_face
from privacycam.face.canonical import CanonicalWarp
from privacycam.render.dither import StochasticRounder
from privacycam.render.halo import Box, HaloGain, halo_colour, halo_edit, halo_weights


@dataclass(frozen=True)
class Composite:
    """The edited frame; with a halo, the square it covers and its weights there."""

    image: np.ndarray
    halo_box: Box | None = None
    halo: np.ndarray | None = None


class Compositor:
    """Composites one stream's frames; its dithering noise and the halo's gain carry over
    from frame to frame (``seed`` fixes the noise)."""

    def __init__(self, halo_strength: float = DEFAULT_HALO_STRENGTH, seed: int = 0) -> None:
        self._rounder = StochasticRounder(seed=seed)
        self._halo_gain = HaloGain(halo_strength)

    def compose(
        self,
        image: np.ndarray,
        warp: CanonicalWarp,
        box: Box,
        mask: np.ndarray,
        grid_edit: np.ndarray,
        *,
        flow: np.ndarray | None = None,
        halo_square: Box | None = None,
        halo_target: np.ndarray | None = None,
    ) -> Composite:
        """``image`` with ``grid_edit`` (the canonical grid's float BGR edit) warped onto ``box``
        under ``mask``, after reshaping the face by ``flow`` (de-identification) if given.
        With ``halo_square``, the halo continues ``halo_target`` (the skin's target as a
        relative colour change, (3,)) onto the rest of that square, which contains ``box``."""
        edit = warp.edit_to_box(grid_edit, box)
        edit *= mask[..., None]
        out = image.copy()
        if flow is not None:  # de-identification reshapes the face first
            out[box[1] : box[3], box[0] : box[2]] = reshape_face(image, flow, warp, box, mask)
        region, region_edit, weights = box, edit, None
        if halo_square is not None:  # one composite over the halo's square
            region = halo_square
            weights = halo_weights(halo_square, mask, box)
            hx0, hy0, hx1, hy1 = halo_square
            colour = halo_colour(weights, image[hy0:hy1, hx0:hx1], self._halo_gain.gain * halo_target)
            region_edit = halo_edit(weights, colour)
            region_edit[box[1] - hy0 : box[3] - hy0, box[0] - hx0 : box[2] - hx0] += edit
        rx0, ry0, rx1, ry1 = region
        out[ry0:ry1, rx0:rx1] = self._rounder.add(out[ry0:ry1, rx0:rx1], region_edit)
        if halo_square is not None:  # what the frame's edits cost, from every 4th row of what changed
            change = out[ry0:ry1:4, rx0:rx1].astype(np.int16) - image[ry0:ry1:4, rx0:rx1]
            self._halo_gain.observe(4.0 * float(np.square(change, dtype=np.int32).sum()) / image.size)
        return Composite(out, halo_square, weights)
