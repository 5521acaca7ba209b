"""Long-run health: the soak benchmark (benchmarks/soak.py) in short, and in full when slow tests run."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location("soak", REPO / "benchmarks" / "soak.py")
soak_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(soak_module)


def _check(result: dict, max_growth_mb: float) -> None:
    assert result["error"] == ""
    assert result["rss_end_mb"] - result["rss_start_mb"] < max_growth_mb, result
    assert result["fps"] >= 27.0 and result["fps_min_10s"] >= 24.0, result  # the source runs at 30 fps
    assert result["frames_dropped"] <= 0.01 * result["frames"], result
    # every frame was edited or, under load, frozen/concealed: none went out unprotected
    assert result["frames_protected"] + result["frames_failsafe"] >= 0.99 * result["frames_total"], result
    assert result["frames_passthrough"] <= 0.01 * result["frames_total"], result
    assert result["os_threads_end"] <= result["os_threads_start"], result  # no thread piles up while streaming
    assert result["python_threads_after_close"] == result["python_threads_before"], result  # all joined


def test_short_soak_memory_flat_fps_steady_no_thread_leak():
    _check(soak_module.soak(seconds=20.0), max_growth_mb=15.0)


@pytest.mark.slow
def test_ten_minute_soak():
    _check(soak_module.soak(seconds=600.0), max_growth_mb=15.0)
