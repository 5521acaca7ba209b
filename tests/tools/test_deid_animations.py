"""benchmarks/deid_animations.py: the side-by-side animations the de-identification docs show."""

from __future__ import annotations

import importlib.util
from itertools import islice
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest
from rppg_clips import write_ffv1

from privacycam.rppg.roi import open_video

TOOL = Path(__file__).resolve().parents[2] / "benchmarks" / "deid_animations.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deid_animations", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_animation_plays_the_middle_second_side_by_side(evm_clip: Path, tmp_path: Path) -> None:
    frames = np.stack(list(islice(open_video(evm_clip)[1], 45)))
    brighter = write_ffv1(tmp_path / "brighter.avi", np.clip(frames.astype(int) + 20, 0, 255).astype(np.uint8), 30.0)
    out = tmp_path / "anim.webp"
    load_tool().animate(evm_clip, brighter, out, seconds=1.0, height=96, quality=90)
    ok, animation = cv2.imreadanimation(str(out))
    # one second at the clip's 30 fps (the encoder merges a repeated frame into a longer one)
    assert ok and 25 <= len(animation.frames) <= 30 and sum(animation.durations) == 30 * 33
    first = animation.frames[0][..., :3].astype(float)
    assert first.shape == (96, 192, 3)  # original | filtered, each 96 px square
    assert 17 < first[:, 96:].mean() - first[:, :96].mean() < 23  # the right half is the brightened video
    assert np.abs(animation.frames[-1][..., :3].astype(float) - first).mean() > 0.5  # it plays the video, not one frame


def test_animation_without_a_face_says_so(tmp_path: Path) -> None:
    blank = write_ffv1(tmp_path / "blank.avi", np.full((10, 120, 160, 3), 90, np.uint8), 30.0)
    with pytest.raises(SystemExit, match="no face"):
        load_tool().animate(blank, blank, tmp_path / "anim.webp", seconds=0.2, height=64, quality=80)
