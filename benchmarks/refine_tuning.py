"""Refine with some of its tunables changed, on some clips and spoof targets (a development
probe: the tunables are ``TraceRefiner``'s constructor parameters, not product settings).

``--set name=value ...`` changes every refiner made during the run (e.g. ``lr=0.3``,
``start_travel=0.8``, ``rival_weight=2``, ``fidelity=0``, ``channel_weight=0``, ``steps=24``);
each run is ``benchmarks/editor_comparison.py``'s (process, then evaluate with every
estimator). Prints, per clip and target, the worst whole-frame PSNR and each estimator's
whole-clip reading, share of windows within ±3 bpm and MAE; ``--json`` keeps the rows.

    .venv/bin/python benchmarks/refine_tuning.py --clips lp_d20 --targets 60 --set start_travel=0.8 lr=0.3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

from editor_comparison import run

from privacycam.editors.refine import TraceRefiner


def parse_settings(items: list[str]) -> dict[str, float]:
    """``["lr=0.3", "steps=24"]`` -> ``{"lr": 0.3, "steps": 24}``; only ``TraceRefiner`` parameters."""
    known = TraceRefiner.__init__.__code__.co_varnames[1 : TraceRefiner.__init__.__code__.co_argcount]
    settings = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in known or not value:
            raise ValueError(f"{item!r}: expected name=value with a name among {sorted(known)}")
        settings[name] = int(value) if name == "steps" else float(value)
    return settings


@contextlib.contextmanager
def refiners_with(settings: dict[str, float]) -> Iterator[None]:
    """Every ``TraceRefiner`` made inside takes ``settings`` over the caller's arguments."""
    shipped = TraceRefiner.__init__

    def init(self: TraceRefiner, *args, **kwargs) -> None:
        shipped(self, *args, **kwargs)
        for name, value in settings.items():
            setattr(self, name, value)

    TraceRefiner.__init__ = init
    try:
        yield
    finally:
        TraceRefiner.__init__ = shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", required=True)
    parser.add_argument("--targets", nargs="+", type=float, default=[60.0, 90.0, 120.0, 150.0])
    parser.add_argument("--set", nargs="*", default=[], dest="settings", help="TraceRefiner parameters, name=value")
    parser.add_argument("--config", default="learned+r8", help="an editor_comparison.py configuration")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "clips")
    parser.add_argument("--json", type=Path, help="where to write the rows")
    args = parser.parse_args()
    settings = parse_settings(args.settings)
    with tempfile.TemporaryDirectory() as work, refiners_with(settings):
        modes = [("spoof-hr", bpm) for bpm in args.targets]
        rows = run([args.data / f"{clip}.mp4" for clip in args.clips], [args.config], modes, Path(work))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    for clip in args.clips:
        for bpm in args.targets:
            mine = [r for r in rows if r["clip"] == clip and r["bpm"] == bpm]
            reads = " ".join(f"{r['estimator']} {r['hr_filtered']:.2f} ({r['within_target']:.0%}, {r['target_mae']:.2f})" for r in mine)
            print(f"{clip} {bpm:g} {' '.join(args.settings) or 'as shipped'}: {min(r['psnr_db'] for r in mine):.2f} dB; {reads}")


if __name__ == "__main__":
    main()
