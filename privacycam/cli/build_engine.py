"""The ``build-engine`` subcommand: build a TensorRT engine ahead of time, with progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from privacycam.backends.engine_cache import PRECISIONS
from privacycam.backends.shapes import ShapeRange, parse_shape_arg
from privacycam.backends.tensorrt_backend import DEFAULT_ENGINE_DIR
from privacycam.backends.tensorrt_build import build_engine
from privacycam.errors import PrivacyCamError
from privacycam.shipped import model_file

DEFAULT_MODEL = model_file("pulse_editor.onnx")
DEFAULT_CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "calibration"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``build-engine`` to the CLI's subcommands."""
    parser = subparsers.add_parser(
        "build-engine",
        help="build the TensorRT engine for this GPU (takes minutes; the live filter only loads it)",
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="ONNX model (default: the shipped editor)")
    parser.add_argument("--precision", choices=PRECISIONS, default="fp16")
    parser.add_argument(
        "--calibration", type=Path, default=DEFAULT_CALIBRATION_DIR, help="folder of .npz input batches (INT8 only)"
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_ENGINE_DIR, help="engine cache folder")
    parser.add_argument(
        "--shape",
        action="append",
        default=[],
        metavar="NAME=MIN:OPT:MAX",
        help="range of an input with dynamic axes, e.g. video=1x3x16x64x64:1x3x32x64x64:1x3x64x64x64 (repeatable)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the cache has this engine")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build (or find) the engine; progress lines on stdout, errors as PrivacyCamError."""
    if not args.model.is_file():
        raise PrivacyCamError(f"no ONNX model at {args.model} (use --model)")
    try:
        shapes: dict[str, ShapeRange] = dict(parse_shape_arg(text) for text in args.shape)
        build_engine(
            args.model,
            args.cache,
            args.precision,
            shapes=shapes,
            calibration_dir=args.calibration,
            progress=lambda message: print(f"build-engine: {message}", flush=True),
            force=args.force,
        )
    except ValueError as exc:
        raise PrivacyCamError(str(exc)) from None
    return 0
