"""Training clips (real with pseudo-labels, or synthetic) and random labelled windows from them.

A window is either a real clip's stretch labelled with the classical consensus (only where
the classical estimators agree), or any clip with a synthetic PPG injected at a random rate
and amplitude; the label of an injected window is the injected pulse plus the clip's own
pulse at its measured amplitude, so the networks learn to follow the strongest pulse present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from privacycam.pulse.target import synthetic_ppg
from privacycam.rppg.deep.augment import geometric, photometric, resample
from privacycam.rppg.deep.inject import dither, inject_pulse
from privacycam.rppg.deep.labels import agreement, aligned_waveforms, consensus, pulse_amplitude
from privacycam.rppg.roi import read_face_crops


MAX_REAL_AMPLITUDE = 1.0  # grey levels; a larger fit on a real clip is motion, not pulse


@dataclass(frozen=True)
class Clip:
    """Face crops with a pulse label.

    ``label`` is (T,) with unit std; ``amplitude`` its size in grey levels along the
    blood-volume direction; ``waves`` the aligned classical waveforms (K, T) behind a
    pseudo-label, None when the label is exact.
    """

    name: str
    faces: np.ndarray
    fps: float
    label: np.ndarray
    amplitude: float
    waves: np.ndarray | None = None


@dataclass(frozen=True)
class Sampling:
    """How training windows are drawn."""

    length: int = 128
    inject_prob: float = 0.6
    amplitude: tuple[float, float] = (0.3, 3.0)
    bpm: tuple[float, float] = (45.0, 160.0)
    speed: tuple[float, float] = (0.8, 1.25)
    min_agreement: float = 0.8
    noise_max: float = 2.0


def real_clip(name: str, faces: np.ndarray, fps: float) -> Clip:
    """A real clip labelled with the consensus of the classical estimators."""
    waves = aligned_waveforms(faces, fps)
    label = consensus(waves)
    amplitude = min(MAX_REAL_AMPLITUDE, pulse_amplitude(faces, fps, label))
    return Clip(name, faces, fps, label, amplitude, waves)


def load_clips(data_dir: str | Path, size: int, names: list[str] | None = None) -> list[Clip]:
    """Every ``clips/*.mp4`` under ``data_dir`` (or only ``names``, file stems), as labelled clips."""
    paths = sorted(Path(data_dir, "clips").glob("*.mp4"))
    if names is not None:
        paths = [p for p in paths if p.stem in names]
    clips = []
    for path in paths:
        faces, fps = read_face_crops(path, size)
        clips.append(real_clip(path.stem, faces, fps))
    return clips


def synthetic_clip(frames: int, fps: float, bpm: float, size: int = 36, seed: int = 0) -> Clip:
    """A face-like skin blob with texture, slow drift and an exact 1-grey-level pulse."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1.0) - 0.5
    blob = np.exp(-((xx / 0.32) ** 2 + (yy / 0.4) ** 2) ** 2)[..., None]
    texture = rng.normal(0.0, 6.0, size=(size, size, 1))
    image = 40.0 + blob * (np.array([150.0, 95.0, 75.0]) + texture)
    drift = 3.0 * np.sin(2 * np.pi * 0.07 * np.arange(frames) / fps + rng.uniform(0, 6.3))
    faces = np.repeat(image[None], frames, axis=0) + drift[:, None, None, None]
    label = synthetic_ppg(frames / fps, fps, bpm, seed=seed)[:frames]
    faces = dither(inject_pulse(faces, label, 1.0) + rng.normal(0.0, 1.0, faces.shape), rng)
    scaled = (label - label.mean()) / label.std()
    return Clip(f"synthetic-{bpm:g}", faces, fps, scaled, float(label.std()))


def _agreeing_starts(clip: Clip, span: int, threshold: float, stride: int = 8) -> list[int]:
    if clip.waves is None:
        return list(range(0, len(clip.faces) - span + 1, stride))
    return [s for s in range(0, len(clip.faces) - span + 1, stride) if agreement(clip.waves[:, s : s + span]) >= threshold]


def sample_window(clip: Clip, rng: np.random.Generator, sampling: Sampling) -> tuple[np.ndarray, np.ndarray]:
    """One augmented window: (length, S, S, 3) float32 pixels and its (length,) unit-std label."""
    speed = rng.uniform(*sampling.speed)
    span = min(len(clip.faces), int(round(sampling.length * speed)))
    speed = span / sampling.length
    inject = rng.random() < sampling.inject_prob
    starts = [] if inject else _agreeing_starts(clip, span, sampling.min_agreement)
    if not starts:
        inject = True
        starts = list(range(0, len(clip.faces) - span + 1))
    start = int(starts[rng.integers(len(starts))])
    frames = clip.faces[start : start + span].astype(np.float32)
    label = clip.label[start : start + span] * clip.amplitude
    if clip.waves is not None and not inject:
        label = consensus(clip.waves[:, start : start + span])
    if inject:
        bpm = rng.uniform(*sampling.bpm) / speed
        pulse = synthetic_ppg(span / clip.fps, clip.fps, bpm, seed=int(rng.integers(2**31)))[:span]
        amplitude = rng.uniform(*sampling.amplitude)
        frames = inject_pulse(frames, pulse, amplitude)
        label = label + amplitude * pulse
    frames, label = resample(frames, label, sampling.length)
    frames = photometric(geometric(frames, rng), rng, sampling.noise_max)
    return frames, (label - label.mean()) / (label.std() + 1e-12)


def batch(clips: Sequence[Clip], count: int, rng: np.random.Generator, sampling: Sampling) -> tuple[np.ndarray, np.ndarray]:
    """``count`` windows from clips drawn in proportion to their length: (N, L, S, S, 3), (N, L)."""
    weights = np.array([len(c.faces) for c in clips], dtype=np.float64)
    picks = rng.choice(len(clips), size=count, p=weights / weights.sum())
    windows = [sample_window(clips[i], rng, sampling) for i in picks]
    return np.stack([w[0] for w in windows]), np.stack([w[1] for w in windows])
