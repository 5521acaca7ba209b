"""``privacycam`` command line: live filter by default, plus process, demo, bench, eval, …

Every subcommand lives in its own module exposing ``register(subparsers)`` (those of the
filter itself in this package, the others beside the code they drive); only the module
of the command being run is imported (``--help`` stays fast: no torch, no MediaPipe).
Errors the user can act on (:class:`PrivacyCamError`) are printed as one line, never a
traceback; third-party log chatter is silenced unless ``-v``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import import_module

from privacycam import __version__
from privacycam.errors import PrivacyCamError

# command: (module with register(subparsers), the one line `privacycam --help` shows)
COMMANDS = {
    "process": ("privacycam.cli.process", "filter a video file (or a still photo) into another file"),
    "batch": ("privacycam.cli.batch", "filter many video files on a Ray cluster (resumable, with a report)"),
    "demo": ("privacycam.cli.demo", "run the filter on a generated clip with a known pulse (no webcam needed)"),
    "bench": ("privacycam.cli.bench", "time every stage at 640x480 and 1280x720 (table, or --json)"),
    "eval": ("privacycam.evaluation.command", "measure what rPPG estimators read on a filtered video vs its original"),
    "train-estimator": ("privacycam.cli.train_estimator", "train the deep rPPG estimators (PhysNet, TS-CAN)"),
    "setup-camera": ("privacycam.io.setup_camera", "check the PrivacyCam virtual camera and explain how to set it up"),
    "tray": ("privacycam.cli.tray", "run the live filter with a tray icon (mode, preview, report, quit)"),
    "build-engine": ("privacycam.cli.build_engine", "build the TensorRT engine for this GPU (takes minutes; the live filter only loads it)"),
    "train": ("privacycam.cli.train", "train the learned pulse editor (CPU, ~2-3 min)"),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first bare word that is one), or None for live."""
    return next((word for word in argv if word in COMMANDS), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser of ``command`` (None: the live filter); other commands appear by name only."""
    from privacycam.cli import live
    from privacycam.cli.options import add_live_arguments

    parser = argparse.ArgumentParser(
        prog="privacycam",
        description=(
            "Real-time webcam privacy filter. With no command: filter the default camera into "
            "the virtual camera 'PrivacyCam', e.g. `privacycam --mode spoof-hr 90`."
        ),
    )
    parser.add_argument("--version", action="version", version=f"privacycam {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging, including other libraries' logs")
    add_live_arguments(parser)
    parser.set_defaults(func=live.run)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        if name != command:
            subparsers.add_parser(name, help=summary)
            continue
        import_module(module).register(subparsers)
        sub = subparsers.choices[name]
        sub.description = sub.description or summary[:1].upper() + summary[1:] + "."
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(chosen_command(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="privacycam: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        from privacycam.quiet import silence_third_party_logs

        silence_third_party_logs()
    try:
        return int(args.func(args) or 0)
    except PrivacyCamError as exc:
        print(f"privacycam: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("privacycam: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
