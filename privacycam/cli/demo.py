"""``privacycam demo``: filter a generated clip with a known pulse and evaluate it (no webcam needed)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from privacycam.app.demo import DEMO_PULSE_BPM, run_demo
from privacycam.cli.options import mode_from_args
from privacycam.user_dirs import reports_dir

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the filter on a generated clip with a known pulse (no webcam needed)",
        description=(
            f"Builds a 12-s clip from a public-domain portrait whose skin carries a {DEMO_PULSE_BPM:g} bpm pulse, "
            "filters it, and writes the output video and a before/after report."
        ),
    )
    default_out = reports_dir() / "demo"
    parser.add_argument("--out", type=Path, default=default_out, help=f"output folder (default: {default_out})")
    parser.add_argument("--mode", nargs="+", default=["spoof-hr", "90"], metavar=("MODE", "BPM"), help="default: spoof-hr 90")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    mode = mode_from_args(args.mode)
    log.info("demo: making a clip with a %g bpm pulse, filtering it with mode %s", DEMO_PULSE_BPM, mode.label())
    result = run_demo(args.out, mode)
    print(result["evaluation"].table())
    print(
        f"\ninput:    {result['original']}  (injected pulse {DEMO_PULSE_BPM:g} bpm)\n"
        f"output:   {result['filtered']}  (mode {mode.label()})\n"
        f"report:   {result['report']}\n"
        f"timing:   median {result['median_ms']:.1f} ms/frame, p95 {result['p95_ms']:.1f} ms, "
        f"{result['wall_s']:.1f} s in all\n"
        f"          (a file is filtered with planning inline: 1 frame in {result['plan_every']} also plans and refines "
        "the edit, which sets the p95; live, that runs in a background thread)"
    )
    return 0
