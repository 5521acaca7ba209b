"""``privacycam batch IN OUT --mode M [BPM]``: filter a folder or a manifest of recordings on Ray."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from privacycam.batch.jobs import check_outputs_distinct, find_jobs
from privacycam.batch.ledger import LEDGER_NAME, Ledger
from privacycam.batch.report import summary_table, write_report
from privacycam.batch.runner import BatchRunner
from privacycam.cli.options import add_crf_argument
from privacycam.errors import PrivacyCamError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="filter many video files on a Ray cluster (resumable, with a report)",
        description=(
            "Filter every video in IN (a folder, searched recursively; OUT mirrors its tree) or every row of "
            "a CSV/JSONL manifest (input, output, mode, target) into OUT, each file exactly as `privacycam process` "
            f"would. OUT/{LEDGER_NAME} records what is done: rerunning skips it and retries what failed. "
            "Needs the batch extra: pip install 'privacycam[batch]'."
        ),
    )
    parser.add_argument("input", type=Path, metavar="IN", help="a folder of videos, or a .csv/.jsonl manifest")
    parser.add_argument("output", type=Path, metavar="OUT", help="the output folder")
    parser.add_argument("--mode", nargs="+", metavar=("MODE", "BPM"), help="off | erase | spoof-hr BPM | deidentify ... "
                        "(a manifest row's own mode/target wins)")
    parser.add_argument("--pattern", help="only files whose name matches this glob, e.g. '*.mp4'")
    parser.add_argument("--suffix", choices=(".mkv", ".mp4", ".webm", ".avi"), help="output container "
                        "(default: the input's, or .mkv when it cannot be written)")
    parser.add_argument("--workers", type=int, help="parallel workers (default: the cluster's CPUs)")
    parser.add_argument("--address", help="join this Ray cluster (e.g. auto, or HEAD_IP:6379); default: start a local one")
    parser.add_argument("--eval", action="store_true", help="also run every rPPG estimator on each original and output")
    parser.add_argument("--editor", default="auto", choices=("auto", "learned", "spectral"), help="pulse editor (default: auto)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the edit (default: 0)")
    add_crf_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    mode, target = _mode_and_target(args.mode)
    args.input, args.output = args.input.resolve(), args.output.resolve()  # the same on every node
    if args.workers is not None and args.workers < 1:
        raise PrivacyCamError("--workers must be at least 1")
    jobs = find_jobs(args.input, args.output, mode, target, args.pattern, args.suffix)
    check_outputs_distinct(jobs)
    args.output.mkdir(parents=True, exist_ok=True)
    settings = {"editor": args.editor, "seed": args.seed, "crf": args.crf, "eval": bool(args.eval)}
    runner = BatchRunner(
        jobs, settings, Ledger(args.output / LEDGER_NAME), args.workers, args.address, progress=not args.no_progress
    )
    start = time.perf_counter()
    try:
        runner.run()
    finally:
        records = runner.skipped + runner.records
        wall = time.perf_counter() - start
        done = [r for r in runner.records if r["status"] == "done"]
        frames = sum(r["frames"] for r in done)
        summary = {
            "files": len(jobs), "done": len(done), "skipped": len(runner.skipped), "failed": runner.failed,
            "not_run": len(jobs) - len(records), "frames": frames, "wall_s": round(wall, 2),
            "frames_per_s": round(frames / wall, 2) if wall > 0 else None, "settings": settings,
        }
        written = write_report(args.output, records, summary)
        print(summary_table(records))
        print(
            f"{len(done)} done, {len(runner.skipped)} already done, {runner.failed} failed, "
            f"{summary['not_run']} not run; {frames} frames in {wall:.1f} s; report: {', '.join(str(p) for p in written)}"
        )
    return 1 if runner.failed else 0


def _mode_and_target(values: list[str] | None) -> tuple[str | None, float | None]:
    if not values:
        return None, None
    if len(values) > 2:
        raise PrivacyCamError("--mode takes a mode name and, for spoof-hr, a heart rate: --mode spoof-hr 90")
    try:
        return values[0], float(values[1]) if len(values) == 2 else None
    except ValueError:
        raise PrivacyCamError(f"heart rate must be a number, got {values[1]!r}") from None
