"""The ``train-estimator`` subcommand: train the project's deep rPPG estimators."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from privacycam.rppg.deep.data import Clip, load_clips
from privacycam.rppg.deep.estimator import ARCHITECTURES
from privacycam.rppg.deep.train import TrainConfig, train, write_outputs

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train-estimator`` to the CLI's subcommands."""
    parser = subparsers.add_parser("train-estimator", help="train the deep rPPG estimators (PhysNet, TS-CAN)")
    parser.add_argument("--model", choices=[*ARCHITECTURES, "all"], default="all")
    parser.add_argument("--epochs", type=int, help="override the config's epoch count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/estimators"), help="folder for <model>.pt and logs")
    parser.add_argument("--config", type=Path, help="JSON file of TrainConfig options (per model: {\"physnet\": {...}})")
    parser.add_argument("--data", type=Path, help="shared data folder with clips/ (default $PRIVACYCAM_DATA or ../shared/data)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _config(model: str, args: argparse.Namespace) -> TrainConfig:
    values = json.loads(args.config.read_text()).get(model, {}) if args.config else {}
    values = {**values, "model": model, "seed": args.seed}
    if args.epochs:
        values["epochs"] = args.epochs
    return TrainConfig.from_dict(values)


def run(args: argparse.Namespace) -> int:
    """Train the chosen model(s); write weights and training logs to ``--out``."""
    data = args.data or Path(os.environ.get("PRIVACYCAM_DATA", DEFAULT_DATA))
    if not (data / "clips").is_dir():
        print(f"error: no clips/ folder under {data} (use --data or PRIVACYCAM_DATA)", file=sys.stderr)
        return 2
    models = list(ARCHITECTURES) if args.model == "all" else [args.model]
    command = "privacycam " + shlex.join(sys.argv[1:])
    clips_by_size: dict[int, list[Clip]] = {}
    for model in models:
        config = _config(model, args)
        if config.size not in clips_by_size:
            clips_by_size[config.size] = load_clips(data, config.size)
        clips = clips_by_size[config.size]
        training = [c for c in clips if c.name not in config.holdout]
        held_out = [c for c in clips if c.name in config.holdout]
        print(f"{model}: training on {[c.name for c in training]}, held out {[c.name for c in held_out]}")
        result = train(config, training, held_out, progress=not args.quiet)
        weights = write_outputs(result, config, args.out, {"command": command, "data": str(data)})
        print(f"{model}: {result.seconds:.0f} s, final loss {result.history[-1]['loss']:.3f}, weights {weights}")
    return 0
