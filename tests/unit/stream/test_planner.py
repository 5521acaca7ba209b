"""The planner thread yields the cores to the per-frame path (refine never delays a frame)."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest

from privacycam.editors.base import Editor, Plan, Window
from privacycam.modes import parse_mode
from privacycam.stream.planner import PLANNER_NICENESS, Planner

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class _StillPlan(Plan):
    made_at = 0.0

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        return np.zeros((8, 8, 3), np.float32)


class _NicenessRecorder(Editor):
    """Plans nothing; records the nice value of the thread it plans in."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.done = threading.Event()

    def plan(self, window: Window, mode) -> Plan:
        self.seen.append(_niceness())
        self.done.set()
        return _StillPlan()


def _window() -> Window:
    return Window(np.zeros((2, 8, 8, 3), np.uint8), np.ones((2, 8, 8), np.float32), np.array([0.0, 1 / 30]))


def _plan_once(asynchronous: bool, **kwargs) -> int:
    editor = _NicenessRecorder()
    planner = Planner(editor, asynchronous=asynchronous, **kwargs)
    try:
        planner.submit(_window(), parse_mode("spoof-hr", 90.0))
        assert editor.done.wait(5.0)
    finally:
        planner.close()
    return editor.seen[0]


@linux_only
def test_the_planner_thread_runs_nicer_than_the_frames_and_leaves_their_thread_alone():
    before = _niceness()
    assert _plan_once(asynchronous=True) == min(19, before + PLANNER_NICENESS)
    assert _niceness() == before


@linux_only
def test_no_niceness_and_inline_planning_keep_the_callers_priority():
    before = _niceness()
    assert _plan_once(asynchronous=True, niceness=0) == before
    assert _plan_once(asynchronous=False) == before  # file mode plans in the caller's thread
    assert _niceness() == before
