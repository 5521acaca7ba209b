"""The recording of what was sent, and the attackers that fit their colour mix on all of it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from privacycam.editors.base import Window
from privacycam.rppg.heart_rate import bandpass, heart_rate
from privacycam.rppg.recording import MIN_RECORDING_S, SentRecording, recording_attacker, sent_view_colours
from privacycam.rppg.registry import load_estimators

FPS = 30.0


def _stream(seconds: float = 20.0, views: int = 2, seed: int = 0) -> Window:
    """A stream's worth of view colours (a pulse, slow light drift, noise) and applied edits."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FPS)
    times = np.arange(n) / FPS
    pulse = np.sin(2 * np.pi * 1.2 * times)[:, None, None] * np.array([0.4, 1.0, 0.6])
    drift = 1.0 + 0.01 * np.sin(2 * np.pi * 0.05 * times)[:, None, None]
    colours = np.array([110.0, 130.0, 170.0]) * drift + pulse + rng.normal(0.0, 0.3, (n, views, 3))
    edits = 0.5 * np.sin(2 * np.pi * 1.8 * times)[:, None] * np.array([0.3, 0.8, 0.5])
    return Window(
        crops=np.zeros((n, 1, 1, 3), np.uint8),
        masks=np.ones((n, 1, 1), np.float32),
        timestamps=times,
        edits=edits,
        drives=np.zeros(n),
        view_colours=colours,
        view_shares=np.tile(np.linspace(1.0, 0.3, views), (n, 1)),
    )


def _part(window: Window, start: int, stop: int) -> Window:
    """Frames ``start:stop`` of ``window``, as the planner would see them."""
    return Window(
        window.crops[start:stop],
        window.masks[start:stop],
        window.timestamps[start:stop],
        window.edits[start:stop],
        window.drives[start:stop],
        window.view_colours[start:stop],
        window.view_shares[start:stop],
    )


def test_overlapping_windows_record_each_sent_frame_once():
    stream = _stream()
    recording = SentRecording()
    for start in range(0, 301, 30):  # 8-s windows every second
        recording.update(_part(stream, start, start + 240))
    sent = sent_view_colours(_part(stream, 0, 540))[..., ::-1]  # RGB, all but the newest frame (not sent yet)
    np.testing.assert_array_equal(recording.trace(), sent)
    assert recording.seconds == pytest.approx(538 / FPS)


def test_a_gap_backwards_time_or_other_views_start_a_new_recording():
    stream = _stream()
    later = _part(stream, 400, 500)
    for first in (_part(stream, 0, 240), _part(stream, 450, 600), _part(_stream(views=3), 300, 420)):
        recording = SentRecording()
        recording.update(first)
        recording.update(later)  # a gap after the first, time running backwards after the second, 2 views not 3
        np.testing.assert_array_equal(recording.trace(), sent_view_colours(later)[..., ::-1])


def test_the_recording_keeps_its_latest_span():
    stream = _stream(seconds=30.0)
    recording = SentRecording(max_s=5.0)
    for start in range(0, 661, 30):
        recording.update(_part(stream, start, start + 240))
    assert 5.0 - 1.0 <= recording.seconds <= 5.0 + 1.0  # trimmed a window's new second at a time
    assert recording.last_time == pytest.approx(898 / FPS)


@pytest.mark.parametrize("estimator", ["pbv", "ica"])
def test_a_recording_attacker_reads_what_the_estimator_reads_on_the_whole_recording(estimator: str):
    stream = _stream()
    recording = SentRecording()
    recording.update(stream)
    read = recording.attacker(estimator, FPS)
    views = torch.from_numpy(recording.trace().transpose(1, 0, 2).copy())  # (V, N, 3) RGB
    ours = read(views, FPS).numpy()
    if estimator == "ica":  # ICA reads the band-passed trace
        ours = bandpass(ours, FPS)
    (reference,) = load_estimators([estimator])
    for v in range(views.shape[0]):
        theirs = reference.from_trace(views[v].numpy(), FPS)
        np.testing.assert_allclose(np.abs(np.corrcoef(ours[v], theirs)[0, 1]), 1.0, atol=1e-9)
        assert heart_rate(ours[v], FPS) == pytest.approx(72.0, abs=1.0)


def test_no_attacker_on_a_short_or_flat_recording():
    stream = _stream()
    recording = SentRecording()
    recording.update(_part(stream, 0, int(MIN_RECORDING_S * FPS)))  # one frame short of the span
    assert recording.attacker("pbv", FPS) is None
    flat = replace(stream, view_colours=np.full_like(stream.view_colours, 120.0), edits=np.zeros_like(stream.edits))
    recording = SentRecording()
    recording.update(flat)
    assert recording.seconds > MIN_RECORDING_S
    assert recording.attacker("pbv", FPS) is None


def test_recording_attacker_names():
    assert recording_attacker("pbv@recording") == "pbv"
    assert recording_attacker("pbv") is None
