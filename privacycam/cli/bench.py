"""``privacycam bench``: time every stage at 640x480 and 1280x720 (table, or --json)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from privacycam.cli.options import add_filter_arguments, filter_config, mode_from_args

# the settings a bench result records beside its numbers
RECORDED_SETTINGS = ("refine_steps", "refine_budget_ms", "refine_min_psnr_db", "halo_strength")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time every stage at 640x480 and 1280x720 (table, or --json)",
        description="Per-frame timing of each stage, capacity fps, and a paced 30-fps live run with added latency.",
    )
    add_filter_arguments(parser, default_mode="spoof-hr 90")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    parser.add_argument("--sizes", default="640x480,1280x720", help="comma-separated WxH list")
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH", help="write JSON (to PATH, or stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from privacycam.app.bench import bench_size, format_table, parse_sizes, run_environment

    mode = mode_from_args(args.mode)
    sizes = parse_sizes(args.sizes)
    config = filter_config(args)
    results = [bench_size(size, mode, config, args.editor, args.seconds) for size in sizes]
    settings = {name: getattr(config, name) for name in RECORDED_SETTINGS}
    payload = {"environment": run_environment(), "mode": mode.label(), "editor": args.editor, "seconds": args.seconds, **settings, "results": results}
    if args.json == "-":
        print(json.dumps(payload, indent=1))
    else:
        print(format_table(results))
        if args.json:
            Path(args.json).write_text(json.dumps(payload, indent=1))
    return 0
