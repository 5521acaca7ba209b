"""Where the trained weights shipped inside the package live (``privacycam/models/``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def model_file(filename: str) -> Path:
    """Path of ``privacycam/models/<filename>`` in the installed package (may not exist)."""
    return Path(str(resources.files("privacycam") / "models" / filename))
