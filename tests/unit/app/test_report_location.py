"""eval, demo and the tray agree on one default place for reports: the per-user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from privacycam.cli.main import build_parser
from privacycam.desktop.serve import latest_report
from privacycam.user_dirs import reports_dir


def _defaults(command: str, *argv: str):
    return build_parser(command).parse_args([command, *argv])


def test_eval_and_demo_write_where_the_tray_looks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert reports_dir() == tmp_path / "privacycam" / "reports"
    eval_out = _defaults("eval", "a.mkv", "b.mkv").out
    demo_out = _defaults("demo").out
    tray_reports = _defaults("tray").reports
    assert tray_reports == reports_dir()
    for out, age in ((eval_out, 1000), (demo_out / "report", 2000)):  # demo's report is in its report/ folder
        assert out.is_relative_to(tray_reports)
        out.mkdir(parents=True)
        (out / "report.json").write_text("{}")
        os.utime(out / "report.json", (age, age))
    assert latest_report(tray_reports) == demo_out / "report" / "report.json"


def test_without_xdg_the_reports_are_under_local_share(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert reports_dir() == tmp_path / ".local" / "share" / "privacycam" / "reports"
