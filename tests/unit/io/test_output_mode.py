"""Output videos get the user's usual file mode (umask), not a temporary file's 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from privacycam.io.video_files import VideoFileSink


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_video_output_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        with VideoFileSink(tmp_path / "out.mkv", fps=30.0, size=(64, 48)) as sink:
            for _ in range(3):
                sink.write(np.zeros((48, 64, 3), np.uint8))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.mkv").stat().st_mode) == mode
