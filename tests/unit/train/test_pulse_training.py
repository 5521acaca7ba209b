"""The learned pulse editor's training segments: augmentation that can be switched off."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from privacycam.rppg.differentiable import ESTIMATORS
from privacycam.rppg.published.estimators import PORT_NAMES
from privacycam.train.data import CanonicalClip
from privacycam.train.loop import Sampler, TrainConfig, _jpeg, _moved

MODELS = Path(__file__).parents[3] / "privacycam" / "models"  # the committed training configs

AUGMENTED = {"motion_px": 1.5, "scale_jitter": 0.04, "compression_share": 1.0}


@pytest.fixture(scope="module")
def clip() -> CanonicalClip:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    face = np.stack([100 + xx, 120 + yy, 150 + 0 * xx], axis=-1).astype(np.float64)  # a smooth gradient "face"
    crops = np.clip(face[None] + rng.normal(0, 2, (300, 64, 64, 3)), 0, 255).astype(np.uint8)
    masks = np.zeros((300, 64, 64), np.float32)
    masks[:, 16:48, 16:48] = 1.0
    return CanonicalClip("synthetic", crops, masks, 30.0)


def test_moving_shifts_content_and_keeps_it_at_no_motion():
    frames = torch.zeros(2, 1, 32, 32)
    frames[:, :, 10:20, 10:20] = 1.0
    still = _moved(frames, torch.zeros(2, 2), torch.ones(2))
    assert torch.allclose(still, frames, atol=1e-5)
    moved = _moved(frames, torch.tensor([[2.0, 0.0], [0.0, -3.0]]), torch.ones(2))
    assert torch.allclose(moved[0, 0, 10:20, 12:22], torch.ones(10, 10), atol=1e-5) and moved[0, 0, 15, 10] < 1e-5
    assert torch.allclose(moved[1, 0, 7:17, 10:20], torch.ones(10, 10), atol=1e-5) and moved[1, 0, 18, 15] < 1e-5


def test_jpeg_round_trip_is_close_but_not_exact():
    frames = torch.from_numpy(np.random.default_rng(1).uniform(60, 200, (3, 3, 64, 64))).float()
    coded = _jpeg(frames, 60)
    assert coded.shape == frames.shape and coded.min() >= 0 and coded.max() <= 255
    error = (coded - frames.round()).abs()
    assert 0 < error.mean() < 40  # noise compresses badly, but stays noise around the same colours


def test_segments_are_seeded_and_augmentation_is_off_by_default(clip):
    config = TrainConfig()
    assert (config.motion_px, config.scale_jitter, config.compression_share) == (0.0, 0.0, 0.0)

    def segment(config: TrainConfig) -> tuple:
        torch.manual_seed(5)  # sensor noise and jitter draw from torch, the rest from numpy (train() seeds both)
        return Sampler([clip], config, np.random.default_rng(5)).segment()

    plain = [segment(config) for _ in range(2)]
    assert torch.equal(plain[0][0], plain[1][0]) and torch.equal(plain[0][1], plain[1][1])
    augmented = segment(replace(config, **AUGMENTED))
    crops, masks = augmented[0], augmented[1]
    assert crops.shape == plain[0][0].shape and masks.shape == plain[0][1].shape
    assert not torch.equal(crops, plain[0][0]) and crops.min() >= 0 and crops.max() <= 255
    # the mask moves with the face: soft edges appear, and frames differ from one another
    assert ((masks > 0.01) & (masks < 0.99)).any() and not torch.equal(masks[0], masks[-1])
    assert masks.min() >= 0 and masks.max() <= 1.0 + 1e-6


@pytest.mark.parametrize("path", [MODELS / "pulse_editor_train.json", *sorted(MODELS.glob("pulse_editor_train_*.json"))], ids=lambda p: p.stem)
def test_committed_training_configs_name_real_attackers_and_keep_train_and_held_out_apart(path):
    config = TrainConfig.from_file(path)  # an unknown key raises
    known = {*ESTIMATORS, "physnet", "tscan", *PORT_NAMES}
    assert set(config.train_attackers) <= known and set(config.heldout_attackers) <= known
    assert not set(config.train_attackers) & set(config.heldout_attackers)
    assert not set(config.train_clips) & set(config.val_clips)
