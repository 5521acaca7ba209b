"""The user's remembered settings: a small TOML file in the platform's config directory.

A missing file gives the defaults; a corrupt file or a bad value logs a warning and falls
back to the defaults (for that value, or for all of them), never raising.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from privacycam.config import DEFAULT_ON_FAILURE, ON_FAILURE
from privacycam.errors import PrivacyCamError
from privacycam.modes import MAX_BPM, MIN_BPM, Mode, parse_mode

log = logging.getLogger(__name__)

APP_DIR = "privacycam"


@dataclass(frozen=True)
class Settings:
    """What the live and tray commands remember between runs."""

    camera: str = "0"  # device index or path
    width: int = 640
    height: int = 480
    fps: int = 30
    mode: str = "spoof-hr"  # a name parse_mode() accepts; the rate is target_bpm
    target_bpm: float = 75.0
    on_failure: str = DEFAULT_ON_FAILURE  # what to send when a face cannot be protected (see --on-failure)
    mjpeg_port: int = 0  # 0: no MJPEG server
    preview: bool = False

    def to_mode(self) -> Mode:
        """The :class:`Mode` these settings describe."""
        return parse_mode(self.mode, self.target_bpm)


def mode_name(mode: Mode) -> str:
    """The parse_mode() name of ``mode`` without its rate, e.g. ``deidentify+spoof-hr``."""
    parts = [name for name, on in (("deidentify", mode.deidentify), ("spoof-hr", mode.spoof), ("erase", mode.erase)) if on]
    return "+".join(parts) or "off"


def with_mode(settings: Settings, mode: Mode) -> Settings:
    """``settings`` remembering ``mode`` (and its target rate)."""
    return replace(settings, mode=mode_name(mode), target_bpm=mode.target_bpm)


def config_path() -> Path:
    """``config.toml`` in the platform's per-user config directory."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
        return base / "PrivacyCam" / "config.toml"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "PrivacyCam" / "config.toml"
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else home / ".config"
    return base / APP_DIR / "config.toml"


_TYPES: dict[str, type] = {f.name: {"str": str, "int": int, "float": float, "bool": bool}[f.type] for f in fields(Settings)}


def _mode_ok(value: str) -> bool:
    try:
        parse_mode(value, MIN_BPM)
    except PrivacyCamError:
        return False
    return True


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "camera": lambda v: bool(v.strip()),
    "width": lambda v: v > 0,
    "height": lambda v: v > 0,
    "fps": lambda v: v > 0,
    "mode": _mode_ok,
    "target_bpm": lambda v: MIN_BPM <= v <= MAX_BPM,
    "on_failure": lambda v: v in ON_FAILURE,
    "mjpeg_port": lambda v: 0 <= v <= 65535,
    "preview": lambda v: True,
}


def _checked(name: str, value: Any) -> Any:
    """``value`` as setting ``name`` wants it, or ValueError; ints pass for floats and strings."""
    kind = _TYPES[name]
    if isinstance(value, bool) != (kind is bool):
        raise ValueError(name)
    if kind in (float, str) and isinstance(value, int):
        value = kind(value)
    if not isinstance(value, kind) or not _CHECKS[name](value):
        raise ValueError(name)
    return value


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings; defaults where the file is missing, corrupt or a value is bad."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("%s: cannot read settings (%s), using the defaults", path, exc)
        return Settings()
    good: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in _TYPES:
            log.warning("%s: unknown setting %r ignored", path, name)
            continue
        try:
            good[name] = _checked(name, value)
        except ValueError:
            log.warning("%s: bad value %r for %r, using the default", path, value, name)
    return Settings(**good)


def _toml_value(value: str | int | float | bool) -> str:
    """A TOML scalar; JSON's string escapes are all valid TOML basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write ``settings`` atomically; returns the path written."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    lines = [f"{name} = {_toml_value(value)}" for name, value in asdict(settings).items()]
    text = "# PrivacyCam settings; command-line flags override them.\n" + "\n".join(lines) + "\n"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def merge(settings: Settings, cli_overrides: Mapping[str, Any]) -> Settings:
    """``settings`` with each override that names a setting and is not None: CLI flags win.

    Other keys (e.g. all of ``vars(args)``) are ignored; a bad value raises PrivacyCamError.
    """
    given = {}
    for name, value in cli_overrides.items():
        if name in _TYPES and value is not None:
            try:
                given[name] = _checked(name, value)
            except ValueError:
                raise PrivacyCamError(f"bad value {value!r} for {name.replace('_', '-')}") from None
    return replace(settings, **given)


def remember_mode(mode: Mode, path: Path | None = None) -> Settings:
    """Write ``mode`` back into the settings file, keeping its other values."""
    settings = with_mode(load_settings(path), mode)
    save_settings(settings, path)
    return settings
