"""Classical estimators on the real evm_face clip and on generated clips with a known pulse."""

from __future__ import annotations

import warnings
from importlib.metadata import EntryPoint

import cv2
import numpy as np
import pytest
import skimage.data
from rppg_clips import inject_pulse

from privacycam.errors import VideoInputError
from privacycam.pulse.target import synthetic_ppg
from privacycam.rppg import registry
from privacycam.rppg.base import Estimator
from privacycam.rppg.classical import rgb_trace
from privacycam.rppg.heart_rate import heart_rate
from privacycam.rppg.registry import UnknownEstimatorError, available_estimators, load_estimators
from privacycam.rppg.roi import detect_face, face_crops, read_face_crops

CLASSICAL = ["green", "chrom", "pos", "lgi", "pbv", "ica", "omit"]
EVM_BPM = 53.5
FPS = 30.0


@pytest.fixture(scope="module")
def evm_faces(evm_clip) -> tuple[np.ndarray, float]:
    return read_face_crops(evm_clip)


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    """A still, public-domain face portrait (BGR, 256x256)."""
    image = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    return cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA)


def pulsing_clip(portrait: np.ndarray, bpm: float, seconds: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The portrait with a realistic pulse (HRV included) in the face and sensor noise: (frames, pulse)."""
    pulse = synthetic_ppg(seconds, FPS, bpm, seed=seed)
    frames = np.repeat(portrait[None], len(pulse), axis=0)
    box = detect_face(portrait, enlarge=1.0)
    return inject_pulse(frames, box, pulse, amplitude=0.005, noise=2.0, seed=seed), pulse


def test_every_classical_estimator_is_registered() -> None:
    estimators = load_estimators(CLASSICAL)
    assert [e.name for e in estimators] == CLASSICAL
    assert all(isinstance(e, Estimator) and e.family == "classical" for e in estimators)
    assert set(CLASSICAL) <= set(available_estimators())


def test_unknown_estimator_is_a_clear_error() -> None:
    with pytest.raises(UnknownEstimatorError, match="nosuch"):
        load_estimators(["pos", "nosuch"])


def test_broken_plugin_warns_and_the_rest_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    good = EntryPoint(name="pos", value="privacycam.rppg.classical:Pos", group=registry.GROUP)
    broken = EntryPoint(name="broken", value="privacycam.no_such_module:factory", group=registry.GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [good, broken])
    with pytest.warns(RuntimeWarning, match="broken"):
        estimators = load_estimators()
    assert [e.name for e in estimators] == ["pos"]
    with warnings.catch_warnings(), pytest.raises(UnknownEstimatorError, match="broken"):
        warnings.simplefilter("ignore")
        load_estimators(["broken"])


def test_face_crops_are_rgb_squares_of_the_face(evm_faces) -> None:
    faces, fps = evm_faces
    assert faces.shape == (301, 72, 72, 3) and faces.dtype == np.uint8 and fps == FPS
    red, green, blue = rgb_trace(faces).mean(axis=0)
    assert red > green > blue  # skin, in RGB order


def test_no_face_is_a_clear_error() -> None:
    with pytest.raises(VideoInputError, match="no face"):
        face_crops(np.full((5, 120, 160, 3), 128, np.uint8))


def test_unreadable_video_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(VideoInputError):
        read_face_crops(tmp_path / "junk.mp4")
    with pytest.raises(VideoInputError):
        read_face_crops(tmp_path / "missing.mp4")


@pytest.mark.parametrize("name", CLASSICAL)
def test_reads_the_evm_pulse(evm_faces, name: str) -> None:
    faces, fps = evm_faces
    (estimator,) = load_estimators([name])
    wave = estimator.waveform(faces, fps)
    assert wave.shape == (len(faces),) and np.all(np.isfinite(wave))
    assert heart_rate(wave, fps) == pytest.approx(EVM_BPM, abs=2.0)


@pytest.mark.parametrize("bpm", [66.0, 105.0])
def test_recovers_an_injected_pulse(portrait: np.ndarray, bpm: float) -> None:
    frames, pulse = pulsing_clip(portrait, bpm, seed=int(bpm))
    faces = face_crops(frames)
    truth = heart_rate(pulse, FPS)
    assert truth == pytest.approx(bpm, abs=2.0)  # the generator's rate (HRV moves the peak a little)
    readings = {e.name: heart_rate(e.waveform(faces, FPS), FPS) for e in load_estimators(CLASSICAL)}
    assert all(abs(hr - truth) <= 1.0 for hr in readings.values()), (truth, readings)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # FastICA on pure noise
def test_estimators_are_blind_without_a_pulse(portrait: np.ndarray) -> None:
    # the same still face and noise but no pulse: the readings scatter instead of agreeing on 80
    frames = np.repeat(portrait[None], 300, axis=0)
    faces = face_crops(inject_pulse(frames, detect_face(portrait), np.zeros(300), 0.0, noise=2.0))
    readings = [heart_rate(e.waveform(faces, FPS), FPS) for e in load_estimators(CLASSICAL)]
    assert sum(abs(hr - 80.0) <= 1.0 for hr in readings) <= 2
