"""Whole-clip work runs torch on every usable core, whatever pin the live editors set."""

from __future__ import annotations

import pytest
import torch

from privacycam.torch_threads import all_cores, usable_cores


@pytest.fixture
def pinned_to_one():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_all_cores_lifts_the_one_thread_pin_and_restores_it(pinned_to_one, monkeypatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with all_cores():
        assert torch.get_num_threads() == 3
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize(("omp", "expected"), [("2", 2), ("16", 4), ("not a number", 4), ("0", 1)])
def test_omp_num_threads_caps_the_cores(monkeypatch, omp: str, expected: int) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert usable_cores() == expected
