"""``privacycam process IN OUT``: filter a video file (or a still photo) into another file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from privacycam.cli.options import add_crf_argument, add_filter_arguments, filter_config, mode_from_args
from privacycam.config import QUALITY_MAX_STEPS
from privacycam.errors import PrivacyCamError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "process",
        help="filter a video file (or a still photo) into another file",
        description="Filter IN into OUT through the live streaming path. OUT ending in .mkv/.avi is lossless (FFV1), "
        ".mp4 is H.264 and .webm VP9; audio, subtitles, frame times and metadata are kept.",
    )
    parser.add_argument("input", type=Path, metavar="IN")
    parser.add_argument("output", type=Path, metavar="OUT")
    add_filter_arguments(parser, default_mode=None)
    parser.add_argument(
        "--quality",
        choices=("live", "max"),
        default="live",
        help=f"live: the same refine steps as live (--refine-steps); max: at least {QUALITY_MAX_STEPS} refine "
        "steps per plan, ICA (on the recent frames and on the whole recording) added to the refine's attackers, "
        "slower than real time (default: live)",
    )
    add_crf_argument(parser)
    parser.add_argument("--stats-json", type=Path, help="write the run's counters and timings as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _check_output_suffix(source: Path, output: Path) -> None:
    """Refuse an output this kind of input cannot be written as, before any model loads."""
    from privacycam.identity.evaluate import IMAGE_SUFFIXES
    from privacycam.io.video_files import CODECS

    photo = source.suffix.lower() in IMAGE_SUFFIXES
    allowed = sorted(IMAGE_SUFFIXES) if photo else sorted(CODECS)
    if output.suffix.lower() not in allowed:
        kind = "photo" if photo else "video"
        raise PrivacyCamError(f"cannot write the {kind} as {output.name}: end OUT in one of {', '.join(allowed)}")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from privacycam.app.process import process_file, process_image
    from privacycam.identity.evaluate import IMAGE_SUFFIXES

    if not args.mode:
        raise PrivacyCamError("process needs --mode (off, erase or spoof-hr BPM)")
    mode = mode_from_args(args.mode)
    _check_output_suffix(args.input, args.output)
    if args.input.suffix.lower() in IMAGE_SUFFIXES:
        still = process_image(args.input, args.output, mode, args.editor, args.seed)
        print(f"wrote {args.output} (still photo, mode {mode.label()}): {'protected' if still.protected else still.reason}")
        return 0
    config = filter_config(args)
    if args.quality == "max":
        config = config.at_quality_max()
    result = process_file(args.input, args.output, mode, config, args.editor, progress=not args.no_progress, crf=args.crf)
    stats = result.report.stats
    times = np.asarray(result.report.frame_times_ms)
    print(
        f"wrote {result.output} ({result.frames} frames, mode {mode.label()}): "
        f"{stats.frames_protected} protected, {stats.frames_passthrough} not ({_reasons(stats.events)}); "
        f"median {np.median(times):.1f} ms/frame"
    )
    if stats.refine is not None and mode.edits_pulse:  # refine works on the pulse only
        print(stats.refine.line())
    if args.stats_json:
        args.stats_json.write_text(json.dumps({"stats": stats.as_dict(), "frame_ms": times.tolist()}, indent=1))
    return 0


def _reasons(events: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(events.items())) or "none"
