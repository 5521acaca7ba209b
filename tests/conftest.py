"""Shared fixtures: where the shared real clips live, and small generated clips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$PRIVACYCAM_DATA`` or ``../shared/data`` beside the checkout."""
    env = os.environ.get("PRIVACYCAM_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "clips").is_dir():
        pytest.skip(f"shared test material not found at {path} (set PRIVACYCAM_DATA)")
    return path


@pytest.fixture(scope="session")
def evm_clip(shared_data: Path) -> Path:
    clip = shared_data / "clips" / "evm_face.mp4"
    if not clip.exists():
        pytest.skip(f"{clip} missing")
    return clip
