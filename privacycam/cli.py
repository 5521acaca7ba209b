"""``privacycam`` command line: live filter by default, plus process, demo, bench, eval, …

Every subcommand lives in its own module exposing ``register(subparsers)``; errors the
user can act on (:class:`PrivacyCamError`) are printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from privacycam import __version__
from privacycam.errors import PrivacyCamError

COMMAND_MODULES = (
    "privacycam.process",
    "privacycam.demo",
    "privacycam.bench",
    "privacycam.evaluation.command",
    "privacycam.rppg.deep.command",
    "privacycam.io.setup_camera",
    "privacycam.desktop.tray_command",
    "privacycam.backends.command",
    "privacycam.train.command",
)


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    from privacycam import live

    parser = argparse.ArgumentParser(
        prog="privacycam",
        description=(
            "Real-time webcam privacy filter. With no command: filter the default camera into "
            "the virtual camera 'PrivacyCam', e.g. `privacycam --mode spoof-hr 90`."
        ),
    )
    parser.add_argument("--version", action="version", version=f"privacycam {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    live.add_live_arguments(parser)
    parser.set_defaults(func=live.run)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="privacycam: %(message)s",
        stream=sys.stderr,
    )
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
