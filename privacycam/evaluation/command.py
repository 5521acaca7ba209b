"""``privacycam eval``: compare what rPPG estimators read on a filtered video vs its original."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from privacycam.errors import PrivacyCamError
from privacycam.evaluation.report import EvalResult, evaluate
from privacycam.rppg.published.estimators import HELD_OUT_MODELS, PackageEstimator
from privacycam.rppg.registry import load_estimators
from privacycam.user_dirs import reports_dir


def write_report(result: EvalResult, out_dir: Path, json_path: Path | None = None) -> Path:
    """Write the JSON summary (``out_dir/report.json`` unless ``json_path``) and plots; returns ``out_dir``."""
    from privacycam.evaluation.plots import write_plots  # matplotlib only when plotting

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = Path(json_path) if json_path else out_dir / "report.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    write_plots(result, out_dir)
    return out_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``eval`` subcommand."""
    parser = subparsers.add_parser(
        "eval",
        help="measure what rPPG estimators read on a filtered video vs its original",
        description=(
            "Runs every installed rPPG estimator on the face of ORIGINAL and FILTERED (face found on "
            "ORIGINAL, same box for both) and reports heart rates, waveform correlation, SNR at the "
            "original pulse, spoof accuracy (--target) and PSNR/SSIM. Writes a JSON file and plots."
        ),
    )
    parser.add_argument("original", nargs="?", type=Path, help="the unfiltered video")
    parser.add_argument("filtered", nargs="?", type=Path, help="the filtered video (same frame count)")
    parser.add_argument("--target", type=float, metavar="BPM", help="spoof target: report MAE and share of windows within ±3 bpm")
    parser.add_argument(
        "--out", type=Path, default=reports_dir() / "eval", help=f"folder for plots and JSON (default: {reports_dir() / 'eval'})"
    )
    parser.add_argument("--estimators", metavar="A,B", help="comma-separated estimator names (default: all; see --attackers)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="JSON summary path (default: OUT/report.json)")
    parser.add_argument("--attackers", action="store_true", help="list the installed estimators and exit")
    parser.add_argument(
        "--held-out",
        nargs="?",
        const=",".join(HELD_OUT_MODELS),
        metavar="M,N",
        help="also run open-rppg's own models (default: every held-out family: " + ", ".join(HELD_OUT_MODELS)
        + "); slow: each compiles for 1-3 min",
    )
    parser.add_argument(
        "--identity",
        action="store_true",
        help="also measure identity: dlib face-recogniser distance filtered vs original and match rate at 0.6 "
        "(videos, photos, or folders of photos)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``privacycam eval``."""
    names = [n.strip() for n in args.estimators.split(",") if n.strip()] if args.estimators else None
    if args.attackers:
        for estimator in load_estimators(names):
            print(f"{estimator.name:<10} {estimator.family}")
        return 0
    if args.original is None or args.filtered is None:
        raise PrivacyCamError("eval needs ORIGINAL and FILTERED videos (or --attackers)")
    if args.identity:
        from privacycam.identity.evaluate import evaluate_identity

        identity = evaluate_identity(args.original, args.filtered)
        print(identity.table())
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "identity.json").write_text(json.dumps(identity.to_json(), indent=2) + "\n")
        identity.plot(args.out / "identity.png")
        print(f"identity report: {args.out / 'identity.json'} and {args.out / 'identity.png'}\n")
        if not _is_video(args.original):
            return 0  # photos: no pulse to compare
    estimators = load_estimators(names)
    if args.held_out:
        estimators += [PackageEstimator(name.strip()) for name in args.held_out.split(",") if name.strip()]
    result = evaluate(args.original, args.filtered, target_bpm=args.target, estimators=estimators)
    print(result.table())
    out_dir = write_report(result, args.out, args.json)
    print(f"\nreport: {args.json or out_dir / 'report.json'} and plots in {out_dir}")
    return 0


def _is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in {".mp4", ".mkv", ".avi", ".mov", ".webm"}
