"""The refine tuning probe (benchmarks/refine_tuning.py): its settings reach every refiner
made during a run, and only then."""

from __future__ import annotations

import sys

import pytest

from conftest import REPO
from privacycam.editors.refine import START_TRAVEL, TraceRefiner

sys.path.insert(0, str(REPO / "benchmarks"))  # the script imports editor_comparison beside it
import refine_tuning  # noqa: E402


def test_settings_are_refiner_parameters_only():
    assert refine_tuning.parse_settings(["lr=0.3", "steps=24"]) == {"lr": 0.3, "steps": 24}
    for wrong in (["learning_rate=0.3"], ["lr"], ["self=1"]):
        with pytest.raises(ValueError, match="expected name=value"):
            refine_tuning.parse_settings(wrong)


def test_settings_apply_to_refiners_made_inside_and_are_undone_after():
    with refine_tuning.refiners_with({"lr": 0.3, "start_travel": 0.8, "steps": 4}):
        inside = TraceRefiner(steps=8)
    assert (inside.lr, inside.steps, inside.start_lr) == (0.3, 4, 0.3)
    after = TraceRefiner()
    assert (after.lr, after.steps, after.start_travel) == (0.1, 8, START_TRAVEL)
