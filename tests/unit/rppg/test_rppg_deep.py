"""The project-trained deep rPPG estimators: shapes, gradients, training, and what they read."""

from __future__ import annotations

import argparse
from dataclasses import replace
from importlib.metadata import entry_points

import numpy as np
import pytest
import torch

from privacycam.cli import train_estimator as command
from privacycam.rppg.base import Estimator
from privacycam.rppg.classical import rgb_trace
from privacycam.rppg.deep import integrate, physnet, tscan
from privacycam.rppg.deep.data import Sampling, synthetic_clip
from privacycam.rppg.deep.estimator import DeepEstimator, build_model, chunk_starts
from privacycam.rppg.deep.evaluate import injected_clip
from privacycam.rppg.deep.inject import BLOOD_VOLUME_RGB, inject_pulse
from privacycam.rppg.deep.train import TrainConfig, train
from privacycam.rppg.heart_rate import bandpass, heart_rate
from privacycam.rppg.roi import read_face_crops

NAMES = ("physnet", "tscan")
FACTORIES = {"physnet": physnet, "tscan": tscan}
EVM_BPM = 53.5


@pytest.fixture(scope="module")
def evm_faces(evm_clip) -> tuple[np.ndarray, float]:
    return read_face_crops(evm_clip, 36)


@pytest.fixture(scope="module", params=NAMES)
def shipped(request) -> DeepEstimator:
    return FACTORIES[request.param]()


@pytest.mark.parametrize("name", NAMES)
def test_small_and_any_length(name: str) -> None:
    model = build_model(name)
    assert sum(p.numel() for p in model.parameters()) < 1_000_000
    estimator = DeepEstimator(name, model)
    faces = synthetic_clip(333, 30.0, 80.0, size=48).faces  # not the network's input size
    for length in (37, 161, 333):
        wave = estimator.waveform(faces[:length], 30.0)
        assert wave.shape == (length,) and np.isfinite(wave).all()


def test_chunks_cover_the_clip_with_overlap() -> None:
    for n in (10, 160, 161, 300, 1000):
        starts = chunk_starts(n, 160, 80)
        covered = np.zeros(n, dtype=bool)
        for s in starts:
            covered[s : s + 160] = True
        assert covered.all() and starts[-1] + min(n, 160) == n
        assert all(b - a <= 80 for a, b in zip(starts, starts[1:]))


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_the_pixels_not_the_weights(name: str) -> None:
    estimator = DeepEstimator(name, build_model(name))
    faces = torch.from_numpy(synthetic_clip(64, 30.0, 90.0).faces.astype(np.float32))[None].requires_grad_(True)
    output = estimator.forward_tensor(faces)
    assert output.shape == (1, 64)
    wave = integrate(output) if estimator.torch_model().output == "derivative" else output
    (wave * torch.linspace(-1, 1, 64)).sum().backward()
    assert torch.isfinite(faces.grad).all() and faces.grad.abs().sum() > 0
    assert all(p.grad is None for p in estimator.torch_model().parameters())


def test_injection_adds_the_pulse_to_the_mean_colour() -> None:
    faces = synthetic_clip(90, 30.0, 70.0).faces
    pulse = np.sin(np.arange(90) / 5.0)
    added = rgb_trace(inject_pulse(faces, pulse, 2.0)) - rgb_trace(faces)
    np.testing.assert_allclose(added @ BLOOD_VOLUME_RGB, 2.0 * pulse, atol=1e-3)


def test_tiny_training_run_is_deterministic() -> None:
    clips = [synthetic_clip(100, 30.0, bpm, seed=i) for i, bpm in enumerate((60.0, 110.0))]
    config = TrainConfig(model="tscan", epochs=1, batch_size=2, windows_per_epoch=4, sampling=Sampling(length=48))
    runs = [train(config, clips, progress=False) for _ in range(2)]
    other = train(replace(config, seed=1), clips, progress=False)
    first, second = (r.model.state_dict() for r in runs)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], v) for k, v in other.model.state_dict().items())
    assert len(runs[0].history) == 1 and np.isfinite(runs[0].history[0]["loss"])


def test_config_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"epocs": 3})


def test_command_registers_and_reports_missing_data(tmp_path, capsys) -> None:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["train-estimator", "--model", "tscan", "--epochs", "1", "--data", str(tmp_path)])
    assert args.func(args) == 2
    assert "no clips/" in capsys.readouterr().err


def test_plugins_are_registered() -> None:
    found = {e.name: e for e in entry_points(group="privacycam.estimators")}
    for name in NAMES:
        estimator = found[name].load()()
        assert isinstance(estimator, Estimator) and estimator.name == name and estimator.family == "project"


def test_shipped_network_reads_the_real_pulse(shipped: DeepEstimator, evm_faces) -> None:
    faces, fps = evm_faces
    assert abs(heart_rate(shipped.waveform(faces, fps), fps) - EVM_BPM) <= 2.0


@pytest.mark.parametrize("bpm", [72.0, 120.0])
def test_shipped_network_reads_an_injected_pulse(shipped: DeepEstimator, evm_faces, bpm: float) -> None:
    faces, fps = evm_faces
    injected, pulse = injected_clip(faces, fps, bpm, amplitude=2.0, seed=7)
    wave = shipped.waveform(injected, fps)
    assert abs(heart_rate(wave, fps) - heart_rate(pulse, fps)) <= 1.0
    # the waveform itself follows the injected pulse, with the right sign (an untrained net does not)
    assert np.corrcoef(bandpass(wave, fps), bandpass(pulse, fps))[0, 1] >= 0.75
