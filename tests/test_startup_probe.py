"""The start-up probe (benchmarks/startup_probe.py): its amplitude reading on a real clip with
a known pulse added, and its temporary refine changes undone after each variant."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO
from privacycam.editors import refine
from privacycam.rppg.roi import open_video
from rppg_clips import write_ffv1

_spec = importlib.util.spec_from_file_location("startup_probe", REPO / "benchmarks" / "startup_probe.py")
startup_probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(startup_probe)


def test_a_uniform_pulse_added_to_a_real_clip_reads_back_at_its_amplitude_and_rate(shared_data: Path, tmp_path: Path) -> None:
    clip = shared_data / "clips" / "lp_d20.mp4"
    info, frames = open_video(clip)
    fps = info.fps
    frames = np.stack(list(frames))
    shift = np.zeros((len(frames), 1, 1, 3))  # +-3 grey levels at 72 bpm on red (BGR index 2) only
    shift[:, 0, 0, 2] = 3.0 * np.sin(2 * np.pi * 1.2 * np.arange(len(frames)) / fps)
    pulsed = write_ffv1(tmp_path / "pulsed.mkv", np.clip(np.rint(frames + shift), 0, 255).astype(np.uint8), fps)
    segments = startup_probe.injected_amplitude(clip, pulsed, 72.0)
    assert len(segments) == int(len(frames) // round(startup_probe.SEGMENT_S * fps))
    for _, amplitude, green in segments:
        assert 2.6 < amplitude[0] < 3.2 and amplitude[1] < 0.2 and amplitude[2] < 0.2  # RGB
        assert green > 0.0
    at_another_rate = startup_probe.injected_amplitude(clip, pulsed, 100.0)
    assert max(a[0] for _, a, _ in at_another_rate) < 1.0


def test_each_variant_changes_refine_only_while_it_runs() -> None:
    shipped = refine.MIN_HISTORY_S, refine.TraceRefiner.refine, refine.keep_pulse_polarity
    with startup_probe.refine_start("history=2.5") as kwargs:
        assert refine.MIN_HISTORY_S == 2.5 and kwargs == {}
    with startup_probe.refine_start("first-steps=40"):
        assert refine.TraceRefiner.refine is not shipped[1]
    with startup_probe.refine_start("keep-plan"):
        gains = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.3, -1.0]], dtype=torch.float64)
        refine.keep_pulse_polarity(gains, torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64))
        assert gains[2].tolist() == [0.0, 0.3, 0.0]  # the plan's own injection kept, not taken away
    with startup_probe.refine_start("green-twice") as kwargs:
        assert kwargs["refine_attackers"] == ("green", *refine.REFINE_ATTACKERS)
    assert (refine.MIN_HISTORY_S, refine.TraceRefiner.refine, refine.keep_pulse_polarity) == shipped
    with pytest.raises(ValueError, match="unknown variant"), startup_probe.refine_start("louder"):
        pass
    assert (refine.MIN_HISTORY_S, refine.TraceRefiner.refine, refine.keep_pulse_polarity) == shipped


def test_a_start_rescale_changes_where_the_first_plan_starts_not_its_step_size(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(refine.TraceRefiner, "refine", lambda self, *args, **kwargs: seen.append((self.lr, self._warm)))
    refiner = refine.TraceRefiner()
    cold_lr = refiner.start_lr
    startup_probe.first_plan_refine(None, 0.5)(refiner, None, None, None, "mode", None)
    ((lr, (mode, gains)),) = seen
    assert lr == cold_lr > refiner.lr and mode == "mode" and gains[2].tolist() == [0.5] * 3
