"""How strong is the spoof target in the attacker's box over a clip's first seconds, and do
changes to how refine starts help the first 10-s window? (A development probe, session 17.)

For each ``--variants`` item the clip is filtered (``spoof-hr --bpm``, the default editor,
offline as ``privacycam process``), then read as ``privacycam eval`` reads it: the estimators
off target (share of windows within ±3 bpm below 100 %) with their window readings, and, per
2-s segment of the eval box's spatial mean, the amplitude (grey levels) of the filtered
minus original trace at the target rate, per colour channel, beside the band-passed original
green trace's standard deviation (the real pulse and noise GREEN has to out-shout).

Variants (each a temporary change of refine's start, not a product setting):

- ``default``: as shipped; ``no-refine``: the learned editor alone;
- ``history=S``: refine from S s of history on (shipped: 1.0);
- ``first-steps=K``: the first refined plan takes K steps (shipped: 8 like every plan);
- ``start-rescale=X``: the first refined plan starts from the plan's own injection at (1 + X) x
  instead of from the plan as it is;
- ``keep-plan``: refine may add to the plan's own injection but not take it away (rescale ≥ 0);
- ``green-twice``: GREEN counted twice in refine's attackers.

    .venv/bin/python benchmarks/startup_probe.py ../shared/data/clips/lp_d3.mp4 --bpm 60 \
        --variants default no-refine history=0.5 history=2 first-steps=40 keep-plan green-twice
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from privacycam.editors import refine
from privacycam.editors.spectral import sinusoid_design
from privacycam.evaluation.report import evaluate, frame_pairs
from privacycam.modes import parse_mode
from privacycam.process import process_file
from privacycam.rppg.classical import rgb_trace
from privacycam.rppg.heart_rate import bandpass
from privacycam.rppg.roi import WINDOW_S, crop, with_boxes

SEGMENT_S = 2.0


def first_plan_refine(first_steps: int | None, start_rescale: float | None):
    """``TraceRefiner.refine`` with the first refined plan changed: ``first_steps`` steps, and/or
    started from the plan's own injection at (1 + ``start_rescale``) x."""
    shipped = refine.TraceRefiner.refine

    def wrapped(self, plan, previous, window, mode, lookahead, deadline=None):
        if self.stats.plans:  # past the first refined plan: as shipped
            return shipped(self, plan, previous, window, mode, lookahead, deadline)
        steps, lr = self.steps, self.lr
        self.steps = first_steps or steps
        if start_rescale is not None and self._warm is None:
            gains = np.zeros((3, 3))
            gains[2] = start_rescale
            self._warm = (mode, gains)  # refine then takes it for a warm plan: keep a cold plan's step size
            self.lr = self.start_lr
        try:
            return shipped(self, plan, previous, window, mode, lookahead, deadline)
        finally:
            self.steps, self.lr = steps, lr

    return wrapped


@contextlib.contextmanager
def refine_start(variant: str) -> Iterator[dict]:
    """Patch refine for one variant; yields the ``process_file`` keyword arguments it needs."""
    name, _, value = variant.partition("=")
    kwargs: dict = {}
    saved = refine.MIN_HISTORY_S, refine.TraceRefiner.refine, refine.keep_pulse_polarity
    if name == "no-refine":
        kwargs["refine_steps"] = 0
    elif name == "history":
        refine.MIN_HISTORY_S = float(value)
    elif name == "first-steps":
        refine.TraceRefiner.refine = first_plan_refine(int(value), None)
    elif name == "start-rescale":
        refine.TraceRefiner.refine = first_plan_refine(None, float(value))
    elif name == "keep-plan":
        shipped_polarity = refine.keep_pulse_polarity

        def keep_plan(gains, plan_colour):
            gains[2].clamp_(min=0.0)
            shipped_polarity(gains, plan_colour)

        refine.keep_pulse_polarity = keep_plan
    elif name == "green-twice":
        kwargs["refine_attackers"] = ("green", *refine.REFINE_ATTACKERS)
    elif name != "default":
        raise ValueError(f"unknown variant {variant!r}")
    try:
        yield kwargs
    finally:
        refine.MIN_HISTORY_S, refine.TraceRefiner.refine, refine.keep_pulse_polarity = saved


def injected_amplitude(original: Path, filtered: Path, bpm: float) -> list[tuple[float, np.ndarray, float]]:
    """Per ``SEGMENT_S`` segment of the eval box's mean trace: its start (s), the
    (3,) RGB amplitude of filtered − original at ``bpm`` (least squares with level and trend),
    and the band-passed original green trace's standard deviation there."""
    info, pairs = frame_pairs(original, filtered)
    fps = info.fps
    traces = [
        (rgb_trace(crop(o, box)[None])[0], rgb_trace(crop(f, box)[None])[0])
        for (o, f), box in with_boxes(pairs, max(1, round(WINDOW_S * fps)), image=lambda pair: pair[0])
    ]
    before, after = (np.array(t) for t in zip(*traces))
    times = np.arange(len(before)) / fps
    green = bandpass(before[:, 1], fps)
    step = int(round(SEGMENT_S * fps))
    segments = []
    for start in range(0, len(before) - step + 1, step):
        t = times[start : start + step]
        design = sinusoid_design(t, bpm / 60.0, 1)  # level, trend, cos, sin
        coef, *_ = np.linalg.lstsq(design, after[start : start + step] - before[start : start + step], rcond=None)
        segments.append((float(t[0]), np.hypot(coef[2], coef[3]), float(green[start : start + step].std())))
    return segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--bpm", type=float, default=60.0)
    parser.add_argument("--variants", nargs="+", default=["default", "no-refine"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for variant in args.variants:
            out = Path(work) / "filtered.mkv"
            with refine_start(variant) as kwargs:
                process_file(args.clip, out, parse_mode("spoof-hr", args.bpm), progress=False, on_failure="passthrough", **kwargs)
            result = evaluate(args.clip, out, target_bpm=args.bpm)
            off = [f"{e.name} {[round(w, 2) for w in e.windows_filtered]}" for e in result.estimators if e.within_target < 1.0]
            print(f"\n{variant}: PSNR {result.fidelity.psnr_db:.2f} dB; off target: {', '.join(off) or 'none'}")
            for start, amplitude, green in injected_amplitude(args.clip, out, args.bpm):
                print(f"  {start:4.1f} s: target in the eval box R/G/B {amplitude[0]:.2f} / {amplitude[1]:.2f} / "
                      f"{amplitude[2]:.2f} grey levels; original green, band-passed, std {green:.2f}")


if __name__ == "__main__":
    main()
