"""What published rPPG models (and the classical estimators) read on PrivacyCam's output.

For each clip: the attacker's face boxes and every attacker's waveform of the ORIGINAL are
computed once; then each variant (a set of ``privacycam process`` arguments) filters the clip in
each mode, and every attacker reads the output in the same boxes. Attackers are counted by the
competence rule of ``privacycam eval``; surrogate (ported) and held-out (run through the package)
families are reported apart. Variants run side by side in one process, so they share the machine's
state.

    .venv/bin/python benchmarks/published_attackers.py --clips lp_d3 lp_d14 --modes erase spoof-hr:120 \
        --held-out FacePhys.rlap,ME-chunk.rlap --variant default= --out benchmarks/results/x.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from privacycam.evaluation import metrics
from privacycam.evaluation.report import attacker_verdicts, compare_waveforms
from privacycam.rppg.base import Estimator
from privacycam.rppg.published.estimators import PackageEstimator
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import CROP_SIZE, WINDOW_S, crop, open_video, with_boxes

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
DEFAULT_ATTACKERS = ("green", "chrom", "pos", "lgi", "pbv", "ica", "omit",
                     "physnet.pure", "physnet.rlap", "tscan.pure", "tscan.rlap", "efficientphys.pure", "efficientphys.rlap")


def attacker_view(path: Path, boxes: list | None = None) -> tuple[np.ndarray, list, float, list[np.ndarray]]:
    """(face crops, boxes, fps, frames): boxes found on this clip unless given."""
    info, frames = open_video(path)
    crops, found, kept = [], [], []
    if boxes is None:
        for frame, box in with_boxes(frames, max(1, round(WINDOW_S * info.fps))):
            crops.append(crop(frame, box, CROP_SIZE)), found.append(box), kept.append(frame)
    else:
        for frame, box in zip(frames, boxes):
            crops.append(crop(frame, box, CROP_SIZE)), found.append(box), kept.append(frame)
    return np.stack(crops), found, info.fps, kept


def parse_mode(text: str) -> tuple[list[str], float | None]:
    """``erase`` or ``spoof-hr:120`` -> (process arguments, target)."""
    if text.startswith("spoof-hr:"):
        bpm = float(text.split(":", 1)[1])
        return ["--mode", "spoof-hr", f"{bpm:g}"], bpm
    return ["--mode", text], None


def run(args: argparse.Namespace) -> list[dict]:
    attackers: list[Estimator] = load_estimators(list(args.attackers.split(",")))
    attackers += [PackageEstimator(name) for name in args.held_out.split(",") if name]
    variants = [v.split("=", 1) for v in args.variant]
    rows: list[dict] = []
    work = Path(args.work or tempfile.mkdtemp(prefix="published-attackers-"))
    work.mkdir(parents=True, exist_ok=True)
    for clip in args.clips:
        source = DATA / f"{clip}.mp4"
        crops_o, boxes, fps, frames_o = attacker_view(source)
        raw_o = {a.name: a.waveform(crops_o, fps) for a in attackers}
        for mode in args.modes:
            mode_args, target = parse_mode(mode)
            for label, extra in variants:
                out = work / f"{clip}-{mode.replace(':', '')}-{label}.mkv"
                started = time.perf_counter()
                command = [sys.executable, "-m", "privacycam", "process", str(source), str(out), *mode_args,
                           "--no-progress", *shlex.split(extra)]
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                seconds = time.perf_counter() - started
                crops_f, _, _, frames_f = attacker_view(out, boxes)
                psnr = metrics.psnr_from_mse(float(np.mean([metrics.mse(a, b) for a, b in zip(frames_o, frames_f)])))
                readings = [compare_waveforms(a.name, a.family, raw_o[a.name], a.waveform(crops_f, fps), fps, target) for a in attackers]
                attacker_verdicts(readings, target)
                for e in readings:
                    rows.append({"clip": clip, "mode": mode, "variant": label, "attacker": e.name, "family": e.family,
                                 "counted": e.counted, "defeated": e.defeated, "hr_original": e.hr_original,
                                 "hr_filtered": e.hr_filtered, "r": e.pearson_r, "within_original": e.within_original,
                                 "within_target": e.within_target, "psnr_db": psnr, "process_s": seconds})
                summary = [r for r in rows if (r["clip"], r["mode"], r["variant"]) == (clip, mode, label) and r["counted"]]
                print(f"{clip:9} {mode:13} {label:10} {sum(r['defeated'] for r in summary):2d}/{len(summary):2d} fooled, "
                      f"PSNR {psnr:.2f} dB; not fooled: {', '.join(r['attacker'] for r in summary if not r['defeated'])}", flush=True)
                if args.out:
                    Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def summarise(rows: list[dict]) -> str:
    """Per variant and mode kind: fooled / counted runs, held-out families apart; worst PSNR."""
    lines = []
    keys = sorted({(r["variant"], r["mode"].split(":")[0]) for r in rows})
    for variant, kind in keys:
        chosen = [r for r in rows if r["variant"] == variant and r["mode"].split(":")[0] == kind and r["counted"]]
        held = [r for r in chosen if r["family"].endswith("held-out")]
        psnr = min(r["psnr_db"] for r in rows if r["variant"] == variant and r["mode"].split(":")[0] == kind)
        lines.append(f"{variant:10} {kind:9} all {sum(r['defeated'] for r in chosen)}/{len(chosen)}, "
                     f"held-out {sum(r['defeated'] for r in held)}/{len(held)}, worst PSNR {psnr:.2f} dB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["lp_d3", "lp_d6", "lp_d13", "lp_d14", "lp_d20", "evm_face"])
    parser.add_argument("--modes", nargs="+", default=["erase", "spoof-hr:60", "spoof-hr:120"])
    parser.add_argument("--attackers", default=",".join(DEFAULT_ATTACKERS))
    parser.add_argument("--held-out", default="FacePhys.rlap,ME-chunk.rlap", help="open-rppg models run through the package")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=ARGS", help="process arguments to compare (repeatable)")
    parser.add_argument("--work", help="folder for the filtered clips (default: a temporary one)")
    parser.add_argument("--out", help="JSON rows")
    args = parser.parse_args()
    args.variant = args.variant or ["default="]
    rows = run(args)
    print(summarise(rows))


if __name__ == "__main__":
    main()
