"""``privacycam train``: train the learned pulse editor and export its ONNX file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser("train", help="train the learned pulse editor (CPU, ~2-3 min)")
    parser.add_argument("--config", type=Path, default=None, help="JSON training config (default: built-in)")
    parser.add_argument("--out", type=Path, default=Path("runs/pulse_editor"), help="output folder")
    parser.add_argument("--cache", type=Path, default=Path("runs/pulse_editor_cache"), help="canonical-clip cache")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train, then export ``pulse_editor.onnx`` beside the weights."""
    import torch

    from privacycam.editors.learned import export_model
    from privacycam.train.loop import TrainConfig, train

    torch.set_num_threads(2)
    summary = train(TrainConfig.from_file(args.config), args.out, args.cache)
    export_model(args.out / "pulse_editor.pt", args.out / "pulse_editor.onnx")
    evals = {e["step"]: e for e in summary["evaluations"]}
    print(json.dumps({"selected_step": summary["selected_step"], "wall_s": summary["wall_s"],
                      "validation": evals[summary["selected_step"]]["metrics"]}, indent=1))
    return 0
