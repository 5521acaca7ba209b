"""benchmarks/mode_stills.py: the side-by-side stills the docs show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

TOOL = Path(__file__).resolve().parents[2] / "benchmarks" / "mode_stills.py"


def test_stills_show_each_video_and_its_change(evm_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "stills.png"
    done = subprocess.run([sys.executable, str(TOOL), str(evm_clip), str(out), f"same={evm_clip}", "--frame", "10"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    image = cv2.imread(str(out))
    height, width = image.shape[:2]
    assert height % 2 == 0 and width % 2 == 0  # original | same, over a blank | its change
    assert np.array_equal(image[40 : height // 2, : width // 2], image[40 : height // 2, width // 2 :])  # same picture
    change = image[height // 2 + 30 :, width // 2 :]  # below the label
    assert np.abs(change.astype(int) - 128).max() <= 1  # an unchanged video shows no change
