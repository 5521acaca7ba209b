"""Published rPPG models (open-rppg): the torch ports read a real clip as the package itself does."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from privacycam.evaluation.report import EstimatorEval, attacker_verdicts, verdict_line
from privacycam.rppg.heart_rate import bandpass, heart_rate
from privacycam.rppg.published.readout import from_model_rate, model_rate_indices, read_clip
from privacycam.rppg.published.weights import PublishedModelsMissing, weights_dir

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("rppg") is None or importlib.util.find_spec("keras") is None,
    reason="open-rppg (privacycam[attackers]) is not installed; .ci/install installs it",
)

# EfficientPhys's package model takes ~1 min to compile on 2 cores: checked in the slow suite
PORTS = [
    ("physnet", "PhysNet.pure"),
    ("tscan", "TSCAN.pure"),
    pytest.param("efficientphys", "EfficientPhys.pure", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module")
def evm_faces(evm_clip) -> tuple[np.ndarray, float]:
    from privacycam.rppg.roi import read_face_crops

    faces, fps = read_face_crops(evm_clip, size=72)
    return faces[:200], fps


@pytest.mark.parametrize(("architecture", "package_name"), PORTS)
def test_port_reads_the_clip_as_the_package_does(evm_faces, architecture: str, package_name: str) -> None:
    from privacycam.rppg.published.estimators import PackageEstimator, PortedEstimator

    faces, fps = evm_faces
    port = PortedEstimator(architecture, "pure").waveform(faces, fps)
    package = PackageEstimator(package_name).waveform(faces, fps)
    assert port.shape == package.shape == (len(faces),)
    assert np.corrcoef(bandpass(port, fps), bandpass(package, fps))[0, 1] >= 0.99
    assert heart_rate(port, fps) == pytest.approx(heart_rate(package, fps), abs=0.5)
    assert 50.0 <= heart_rate(port, fps) <= 57.0  # evm_face's pulse, ~53.5 bpm


@pytest.mark.parametrize("architecture", ["physnet", "tscan", "efficientphys"])
def test_rlap_weights_load_and_read_the_pulse(evm_faces, architecture: str) -> None:
    from privacycam.rppg.published.estimators import PortedEstimator

    faces, fps = evm_faces
    estimator = PortedEstimator(architecture, "rlap")
    assert estimator.family == "published-surrogate" and estimator.name == f"{architecture}.rlap"
    assert abs(heart_rate(estimator.waveform(faces, fps), fps) - 53.5) <= 6.0


def test_forward_tensor_is_differentiable_at_any_crop_size() -> None:
    from privacycam.rppg.published.estimators import PortedEstimator

    estimator = PortedEstimator("physnet", "pure")
    faces = torch.full((1, 128, 48, 48, 3), 128.0, requires_grad=True)
    with torch.no_grad():
        faces += torch.randn_like(faces)
    out = estimator.forward_tensor(faces)
    assert out.shape == (1, 128)
    out[0, 10].backward()
    assert faces.grad is not None and float(faces.grad.abs().sum()) > 0


def test_missing_weight_file_says_how_to_install(monkeypatch) -> None:
    from privacycam.rppg.published import weights

    monkeypatch.setattr(weights, "weights_dir", lambda: weights_dir() / "nowhere")
    with pytest.raises(PublishedModelsMissing, match="privacycam\\[attackers\\]"):
        weights.weights_file("physnet.pure.weights.h5")


def test_model_rate_resampling_follows_the_package_rule() -> None:
    # 25 fps clips are read at 30 fps: one frame in five repeated, then mapped back
    indices = model_rate_indices(25, 25.0)
    assert len(indices) == 30 and np.bincount(indices).max() == 2
    assert np.array_equal(model_rate_indices(30, 30.0), np.arange(30))
    back = from_model_rate(np.arange(30) / 30.0, 25, 25.0)  # a ramp in time survives the round trip
    assert np.allclose(back, np.arange(25) / 25.0, atol=1e-9)
    pulse = read_clip(np.zeros((50, 4, 4, 3), np.uint8), 25.0, 16, False, lambda chunk: np.arange(len(chunk), dtype=float))
    assert pulse.shape == (50,)


def _reading(name: str, family: str, hr: float, r: float = 0.0, within_original: float = 0.0, within_target: float | None = None) -> EstimatorEval:
    return EstimatorEval(name, family, hr, hr, [], [], [], r, 0.0, 0.0, within_original, None, within_target)


def test_competence_rule_and_verdict() -> None:
    readings = [
        _reading("green", "classical", 60.0, r=0.05),
        _reading("chrom", "classical", 61.0, r=0.5, within_original=0.6),
        _reading("pos", "classical", 62.0, r=0.1),
        _reading("physnet.pure", "published-surrogate", 90.0, r=0.0),  # reads 90 on the original: incompetent
        _reading("facephys.rlap", "published-held-out", 64.0, r=0.1, within_original=0.1),
        _reading("physnet", "project", 61.0, r=0.0),  # trained by the project: never counted
    ]
    attacker_verdicts(readings, None)
    assert [e.counted for e in readings] == [True, True, True, False, True, False]
    assert [e.defeated for e in readings if e.counted] == [True, False, True, True]
    line = verdict_line(readings, None)
    assert line.startswith("verdict: 3 of 4 competent attackers lost the pulse")
    assert "held-out families 1 of 1" in line and "not fooled: chrom" in line and "physnet.pure" in line
    for e, share in zip(readings, [1.0, 0.95, 0.5, 1.0, 0.9, 1.0]):
        e.within_target = share
    attacker_verdicts(readings, 90.0)
    assert verdict_line(readings, 90.0).startswith("verdict: 3 of 4 competent attackers read 90 bpm")


@pytest.mark.parametrize(("architecture", "min_r"), [("physnet", 0.99), ("tscan", 0.95)])
def test_training_surrogate_reads_the_port_in_its_chunks_with_gradients(evm_faces, architecture: str, min_r: float) -> None:
    """The editor's training reads a port differentiably on a clip that is no whole number of
    its chunks (200 frames): the pulse it reads is the one the package's readout reads (TS-CAN's
    output integrated once, not renormalised per chunk: r 0.97 here)."""
    from privacycam.rppg.objective import attacker
    from privacycam.rppg.published.estimators import PortedEstimator

    faces, fps = evm_faces
    port = PortedEstimator(architecture, "pure")
    assert len(faces) % port.chunk
    bgr = torch.from_numpy(np.ascontiguousarray(faces[..., ::-1])).float().permute(0, 3, 1, 2)[None].requires_grad_(True)
    read = attacker(port.name, {port.name: port})(bgr, fps)
    assert read.shape == (1, len(faces))
    wave, reference = read[0].detach().double().numpy(), port.waveform(faces, fps)
    assert heart_rate(wave, fps) == pytest.approx(heart_rate(reference, fps), abs=1.5)
    assert np.corrcoef(bandpass(wave, fps), bandpass(reference, fps))[0, 1] >= min_r
    read[0, 150].backward()  # a frame of the padded last chunk
    assert float(bgr.grad[0, 150].abs().sum()) > 0
