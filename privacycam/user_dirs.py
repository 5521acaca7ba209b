"""Where PrivacyCam keeps its reports by default: one per-user data folder for every command."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dir() -> Path:
    """The platform's per-user data folder for PrivacyCam ($XDG_DATA_HOME/privacycam on Linux)."""
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "PrivacyCam"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "PrivacyCam"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share") / "privacycam"


def reports_dir() -> Path:
    """The default home of every report (``eval``, ``demo``) and where the tray looks for the latest."""
    return data_dir() / "reports"
