"""Torch estimators agree with the numpy ones and pass gradients back to the pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from privacycam.pulse.target import synthetic_ppg
from privacycam.rppg import differentiable as diff
from privacycam.rppg.classical import rgb_trace
from privacycam.rppg.heart_rate import bandpass, heart_rate
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import read_face_crops

FPS = 30.0


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def evm_trace(evm_clip) -> np.ndarray:
    faces, fps = read_face_crops(evm_clip)
    assert fps == FPS
    return rgb_trace(faces)


def generated_trace(bpm: float, seconds: float = 12.0, seed: int = 3) -> np.ndarray:
    """Skin-coloured RGB trace: blood-volume pulse, slow illumination drift and noise."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * FPS))
    t = np.arange(n) / FPS
    pulse = synthetic_ppg(seconds, FPS, bpm, seed=seed)
    skin = np.array([180.0, 130.0, 105.0])
    light = 1.0 + 0.01 * np.sin(2 * np.pi * 0.15 * t)
    relative = 1.0 + 0.003 * pulse[:, None] * np.array([0.33, 0.77, 0.53])
    return skin * light[:, None] * relative + rng.normal(0.0, 0.05, (n, 3))


def numpy_waveform(name: str, trace: np.ndarray) -> np.ndarray:
    (estimator,) = load_estimators([name])
    return estimator.from_trace(trace, FPS)


@pytest.mark.parametrize("name", sorted(diff.ESTIMATORS))
@pytest.mark.parametrize("clip", ["evm", "generated"])
def test_torch_matches_numpy(name: str, clip: str, request: pytest.FixtureRequest) -> None:
    trace = request.getfixturevalue("evm_trace") if clip == "evm" else generated_trace(84.0)
    reference = numpy_waveform(name, trace)
    ours = diff.ESTIMATORS[name](torch.tensor(trace), FPS).numpy()
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-9 * np.abs(reference).max())
    assert heart_rate(ours, FPS) == heart_rate(reference, FPS)
    # with the torch FFT band-pass instead of scipy's Butterworth, the reading and the shape hold
    fft_filtered = diff.fft_bandpass(torch.tensor(ours), FPS).numpy()
    assert abs(heart_rate(fft_filtered, FPS) - heart_rate(reference, FPS)) <= 0.5
    assert np.corrcoef(fft_filtered, bandpass(reference, FPS))[0, 1] > 0.85


def test_batches_match_single_traces(evm_trace: np.ndarray) -> None:
    batch = torch.tensor(np.stack([evm_trace, generated_trace(70.0, seconds=len(evm_trace) / FPS)]))
    for fn in diff.ESTIMATORS.values():
        together = fn(batch, FPS)
        apart = torch.stack([fn(trace, FPS) for trace in batch])
        torch.testing.assert_close(together, apart)


def test_spatial_mean_trace_with_and_without_mask() -> None:
    generator = torch.Generator().manual_seed(0)
    faces = torch.rand(2, 5, 3, 8, 8, generator=generator, dtype=torch.float64) * 255
    torch.testing.assert_close(diff.spatial_mean_trace(faces), faces.mean(dim=(-2, -1)))
    mask = torch.zeros(8, 8, dtype=torch.float64)
    mask[2:6, 1:4] = 1.0
    expected = faces[..., 2:6, 1:4].mean(dim=(-2, -1))
    torch.testing.assert_close(diff.spatial_mean_trace(faces, mask), expected)


def test_fft_bandpass_keeps_only_the_band() -> None:
    t = torch.arange(600, dtype=torch.float64) / FPS
    inside = torch.sin(2 * torch.pi * 1.5 * t)
    mixed = inside + 3.0 * torch.sin(2 * torch.pi * 0.2 * t) + torch.sin(2 * torch.pi * 6.0 * t) + 0.01 * t
    out = diff.fft_bandpass(mixed, FPS)
    core = slice(90, -90)
    assert torch.corrcoef(torch.stack([out[core], inside[core]]))[0, 1] > 0.99


@pytest.mark.parametrize("name", sorted(diff.ESTIMATORS))
def test_gradients_reach_the_pixels(name: str) -> None:
    rng = np.random.default_rng(1)
    base = generated_trace(75.0, seconds=8.0)
    pixels = base[:, :, None, None] + rng.normal(0.0, 2.0, (len(base), 3, 6, 6))
    faces = torch.tensor(pixels[None], requires_grad=True)  # (1, T, 3, H, W)
    wave = diff.fft_bandpass(diff.ESTIMATORS[name](diff.spatial_mean_trace(faces), FPS), FPS)
    target = torch.tensor(synthetic_ppg(8.0, FPS, 120.0, seed=5))
    loss = -torch.corrcoef(torch.stack([wave[0], target]))[0, 1]
    loss.backward()
    assert faces.grad is not None and torch.isfinite(faces.grad).all()
    assert faces.grad.abs().sum() > 0
    # a small step against the gradient raises the correlation with the target
    with torch.no_grad():
        step = faces - 1e-3 * faces.grad / faces.grad.abs().max()
        moved = diff.fft_bandpass(diff.ESTIMATORS[name](diff.spatial_mean_trace(step), FPS), FPS)
        assert -torch.corrcoef(torch.stack([moved[0], target]))[0, 1] < loss


def test_ica_with_a_held_fit_is_a_fixed_colour_mix(evm_trace: np.ndarray) -> None:
    trace = torch.tensor(evm_trace)[None]
    fit = diff.ica_fit(trace, FPS)
    held = diff.ica_with(fit)
    torch.testing.assert_close(held(trace, FPS), diff.ESTIMATORS["ica"](trace, FPS))  # refitting finds the same
    # a new trace is read through the held unmixing: linear in the standardised, filtered colours
    other = torch.tensor(generated_trace(100.0, seconds=len(evm_trace) / FPS))[None]
    normed = diff._ica_normed(other, FPS)
    expected = (normed - fit.mean[:, None]) @ fit.unmixing[0, fit.source[0]]
    torch.testing.assert_close(held(other, FPS), expected)
    assert fit.unmixing.shape == (1, 3, 3) and 0 <= int(fit.source[0]) < 3
