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


class _InjectingPlan(Plan):
    """A plan whose whole edit is its injection: ``drive`` x ``gain`` grey levels."""

    made_at = 0.0

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        return np.full((8, 8, 3), drive * self.gain, np.float32)

    def louder(self, gain: float) -> Plan:
        return _InjectingPlan(self.gain * gain)


class _Injector(Editor):
    def plan(self, window: Window, mode) -> Plan:
        return _InjectingPlan()


class _Refiner:
    """Refine's interface: counts skips; returns a plan of its own, or the plan itself (a miss)."""

    def __init__(self, refined: Plan | None) -> None:
        self.refined = refined
        self.stats = type("Stats", (), {"skipped": 0})()

    def refine(self, plan, previous, window, mode, lookahead, deadline):
        return self.refined or plan


@pytest.mark.parametrize(
    ("mode", "refiner", "refine", "expected"),
    [
        (("spoof-hr", 90.0), None, True, 2.0),  # refine off: louder
        (("spoof-hr", 90.0), "miss", True, 2.0),  # refine returned the plan unchanged (late, or too early): louder
        (("spoof-hr", 90.0), "miss", False, 2.0),  # skipped under load: louder
        (("spoof-hr", 90.0), "refined", True, 7.0),  # refine's own plan is published as it is
        (("erase", None), None, True, 1.0),  # erase: only spoof plans get louder
    ],
)
def test_a_spoof_plan_published_without_refine_injects_the_unrefined_gain(mode, refiner, refine, expected):
    refiners = {None: None, "miss": _Refiner(None), "refined": _Refiner(_InjectingPlan(7.0))}
    planner = Planner(_Injector(), asynchronous=False, refiner=refiners[refiner], unrefined_gain=2.0)
    planner.submit(_window(), parse_mode(*mode), lookahead=object(), refine=refine)
    assert planner.latest().edit_at(0.0, 1.0)[0, 0, 0] == expected
    if refiner == "miss" and not refine:
        assert planner.refiner.stats.skipped == 1
