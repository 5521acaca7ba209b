"""Live latency with the planner thread at the frames' priority vs nicer, side by side.

Alternates ``privacycam bench``'s measurement (:func:`privacycam.bench.bench_size`, default
editor and refine, spoof-hr 90) over planner niceness values (default: 0 and
:data:`privacycam.stream.planner.PLANNER_NICENESS`), round after round, so all see the same
machine; ``--busy N`` keeps N other processes spinning meanwhile. Prints the median over
rounds of each setting's p95 / median added latency and its late refine plans; writes every
run as JSON.

    .venv/bin/python benchmarks/planner_priority.py --rounds 5 --json benchmarks/results/planner_priority.json
    .venv/bin/python benchmarks/planner_priority.py --niceness 0,5,10 --busy 1 --sizes 640x480 --json busy.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from privacycam.bench import bench_size, parse_sizes
from privacycam.modes import parse_mode
from privacycam.options import pipeline_settings
from privacycam.stream.planner import PLANNER_NICENESS
from soak import busy_cores  # benchmarks/ is this script's folder

SETTINGS = pipeline_settings(argparse.Namespace())  # the CLI defaults, as `privacycam bench`


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each live run")
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--niceness", default=f"0,{PLANNER_NICENESS}", help="planner niceness values, comma-separated")
    parser.add_argument("--busy", type=int, default=0, help="other processes spinning meanwhile (default 0)")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)
    levels = [int(value) for value in args.niceness.split(",")]
    mode = parse_mode("spoof-hr", 90.0)
    runs = []
    with busy_cores(args.busy):
        for index in range(args.rounds):
            for niceness in levels:
                for size in sizes:
                    result = bench_size(size, mode, "auto", args.seconds, settings={**SETTINGS, "planner_niceness": niceness})
                    live = result["live"]
                    runs.append({"round": index, "niceness": niceness, "busy": args.busy, "size": result["size"], "live": live})
                    print(f"round {index} niceness {niceness:2d} {result['size']}: p95 {live['added_latency_ms']['p95']:.1f} ms, "
                          f"late plans {live['refine']['misses']}", flush=True)
    args.json.write_text(json.dumps(runs, indent=1) + "\n")
    print("\n| size | planner niceness | added latency p95 (median of rounds) | median | p99 | late plans (all rounds) | fps out (lowest) |")
    print("|---|---|---|---|---|---|---|")
    for size in dict.fromkeys(r["size"] for r in runs):
        for niceness in levels:
            mine = [r["live"] for r in runs if r["size"] == size and r["niceness"] == niceness]
            lat = {k: float(np.median([m["added_latency_ms"][k] for m in mine])) for k in ("p95", "median", "p99")}
            late = sum(m["refine"]["misses"] for m in mine)
            plans = sum(m["refine"]["plans"] + m["refine"]["misses"] for m in mine)
            print(f"| {size} | {niceness} | {lat['p95']:.1f} ms | {lat['median']:.1f} ms | {lat['p99']:.1f} ms | "
                  f"{late} of {plans} | {min(m['fps_out'] for m in mine):.1f} |")


if __name__ == "__main__":
    main()
