"""Settings file: location, round trip, corrupt input, CLI precedence, remembering the mode."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from privacycam.app import settings as st
from privacycam.errors import PrivacyCamError
from privacycam.modes import parse_mode


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(st.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "privacycam" / "config.toml"


def test_config_path_follows_xdg_then_home(cfg: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert st.config_path() == cfg
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert st.config_path() == tmp_path / "home" / ".config" / "privacycam" / "config.toml"


def test_config_path_windows_and_macos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(st.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert st.config_path() == tmp_path / "Roaming" / "PrivacyCam" / "config.toml"
    monkeypatch.setattr(st.sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert st.config_path() == tmp_path / "h" / "Library" / "Application Support" / "PrivacyCam" / "config.toml"


def test_missing_file_gives_defaults(cfg: Path) -> None:
    assert st.load_settings() == st.Settings()


def test_round_trip(cfg: Path) -> None:
    s = st.Settings(camera="/dev/vidéo2 \"q\"\\\\\t", width=1280, height=720, fps=25, mode="deidentify+spoof-hr",
                    target_bpm=92.5, on_failure="blur", mjpeg_port=8090, preview=True)
    assert st.save_settings(s) == cfg
    assert st.load_settings() == s
    assert s.to_mode() == parse_mode("deidentify+spoof-hr", 92.5)


@pytest.mark.parametrize("text", ["width = [", "\x00\x01 nonsense = = =", "mode = 'off'\nmode = 'erase'\n"])
def test_corrupt_file_warns_and_gives_defaults(cfg: Path, text: str, caplog: pytest.LogCaptureFixture) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(text)
    with caplog.at_level(logging.WARNING):
        assert st.load_settings() == st.Settings()
    assert "cannot read settings" in caplog.text


def test_undecodable_file_warns(cfg: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(b"\xff\xfe\xfa")
    assert st.load_settings() == st.Settings()
    assert "cannot read settings" in caplog.text


def test_bad_values_fall_back_one_by_one(cfg: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        'camera = 1\nwidth = "wide"\nheight = -3\nfps = 15\nmode = "teleport"\ntarget_bpm = 300\n'
        'preview = 1\nmjpeg_port = 70000\non_failure = "explode"\nhue = 3\n'
    )
    with caplog.at_level(logging.WARNING):
        got = st.load_settings()
    assert got == st.Settings(camera="1", fps=15)
    for name in ("width", "height", "mode", "target_bpm", "preview", "mjpeg_port", "on_failure", "hue"):
        assert repr(name) in caplog.text


def test_merge_cli_wins_and_ignores_unset(cfg: Path) -> None:
    saved = st.Settings(width=1280, height=720, mode="erase", preview=True)
    args = {"width": 320, "height": None, "mode": "spoof-hr", "target_bpm": 88, "command": "tray", "preview": None}
    got = st.merge(saved, args)
    assert got == st.Settings(width=320, height=720, mode="spoof-hr", target_bpm=88.0, preview=True)


@pytest.mark.parametrize("bad", [{"fps": 0}, {"mode": "nope"}, {"target_bpm": 20}, {"preview": "yes"}, {"on_failure": "explode"}])
def test_merge_rejects_bad_flags(bad: dict) -> None:
    with pytest.raises(PrivacyCamError):
        st.merge(st.Settings(), bad)


def test_remember_mode_keeps_other_values(cfg: Path) -> None:
    st.save_settings(st.Settings(width=1280, mjpeg_port=8081))
    st.remember_mode(parse_mode("deidentify+spoof-hr", 61))
    assert st.load_settings() == st.Settings(width=1280, mjpeg_port=8081, mode="deidentify+spoof-hr", target_bpm=61.0)
    st.remember_mode(parse_mode("off"))
    assert st.load_settings().to_mode().is_off
    assert not cfg.with_name("config.toml.tmp").exists()
