"""Erase's per-frame flattener: the skin cells' pulse band goes, slow light and big changes stay."""

from __future__ import annotations

import numpy as np

from privacycam.editors.flatten import ColourFlattener, cell_colours
from privacycam.rppg.heart_rate import bandpass

FPS = 30.0


def _frames(level: np.ndarray) -> list[np.ndarray]:
    """64x64 crops whose colour follows ``level`` (T, 3) plus fixed texture."""
    texture = np.random.default_rng(0).normal(0.0, 5.0, (64, 64, 3))
    return [np.clip(120.0 + texture + value, 0, 255).astype(np.float32) for value in level]


def _flattened_trace(flattener: ColourFlattener, frames: list[np.ndarray], skin: np.ndarray) -> np.ndarray:
    out = []
    for crop in frames:
        edit = flattener.edit(crop, skin)
        colours, _ = cell_colours(crop, skin, flattener.grid)
        out.append((colours + edit).mean(axis=(0, 1)))
    return np.asarray(out)


def test_pulse_band_is_removed_at_least_20_db() -> None:
    t = np.arange(600) / FPS
    pulse = 0.6 * np.sin(2 * np.pi * 1.1 * t)[:, None] * np.array([0.3, 1.0, 0.6])
    drift = (4.0 * t / t[-1])[:, None]  # slow light change
    skin = np.ones((64, 64), np.float32)
    trace = _flattened_trace(ColourFlattener(), _frames(pulse + drift), skin)
    before = bandpass(pulse[150:, 1], FPS).std()
    after = bandpass(trace[150:, 1], FPS).std()
    assert after < 0.1 * before
    assert abs(trace[-1, 1] - (120.0 + 4.0)) < 1.0  # the slow drift is kept (the picture follows the light)


def test_changes_are_capped_and_only_on_skin() -> None:
    skin = np.zeros((64, 64), np.float32)
    skin[:, :32] = 1.0  # left half is skin
    flattener = ColourFlattener(cap=4.0)
    level = np.zeros((40, 3))
    level[20:] = 30.0  # a sudden change of light: passes through, late by at most the cap
    edits = [flattener.edit(crop, skin) for crop in _frames(level)]
    assert max(float(np.abs(e).max()) for e in edits) <= 4.0 + 1e-6
    assert np.abs(edits[25][:, 4:]).max() == 0.0  # no change where there is no skin
    assert np.abs(edits[25][:, :4]).max() == 4.0
    flattener.reset()
    assert np.abs(flattener.edit(_frames(level[:1])[0], skin)).max() == 0.0  # a reset starts from the frame itself


def test_box_offset_holds_the_box_mean_at_its_baseline() -> None:
    # a box 40 % skin whose non-skin part flickers in the pulse band; the skin is already flat
    flattener = ColourFlattener(cap=10.0, boxes=True)
    t = np.arange(450) / FPS
    around = 100.0 + 1.5 * np.sin(2 * np.pi * 1.3 * t)
    skin, share = np.full(3, 150.0), 0.4
    box_means = []
    for value in around:
        box = share * skin + (1 - share) * value
        offset = flattener.box_offset(np.stack([skin, np.full(3, box)]), np.array([1.0, share]))
        box_means.append(box + share * offset[1])  # the offset is spread over the box's skin
    before = bandpass((share * 150.0 + (1 - share) * around)[150:], FPS).std()
    after = bandpass(np.asarray(box_means)[150:], FPS).std()
    assert after < 0.1 * before
