"""What published rPPG models (and the classical estimators) read on PrivacyCam's output.

For each clip: the attacker's face boxes and every attacker's waveform of the ORIGINAL are
computed once; then each variant (a set of ``privacycam process`` arguments) filters the clip in
each mode, and every attacker reads the output in the same boxes. Attackers are counted by the
competence rule of ``privacycam eval``; surrogate (ported) and held-out (run through the package)
families are reported apart. Variants run side by side in one process, so they share the machine's
state.

For erase, each attacker also reads the original with its skin held still (every frame's skin,
by the face mesh's skin mask, moved to the skin's mean colour over the clip; texture kept). An
attacker that still reads the original there (|r| > 0.2 or > 15 % of windows within ±5 bpm)
reads it from outside the skin (hair, background, eyes, lips, motion across the box), which no
skin edit removes: rows carry that as ``reads_outside_skin``, and the summary says how many of
those the filter did not fool.

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
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from privacycam.evaluation import metrics
from privacycam.evaluation.report import ERASED_MAX_R, ERASED_MAX_SHARE, attacker_verdicts, compare_waveforms
from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.rppg.base import Estimator
from privacycam.rppg.published.estimators import PackageEstimator
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import CROP_SIZE, WINDOW_S, crop, open_video, with_boxes
from privacycam.rppg.views import face_box

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


def hold_skin(frame: np.ndarray, box: tuple[int, int, int, int], mask: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``frame`` (BGR uint8) with ``offset`` (BGR) added to its skin: ``mask`` over the pixel ``box``."""
    x0, y0, x1, y1 = box
    held = frame.copy()
    region = held[y0:y1, x0:x1].astype(np.float32) + mask[..., None] * offset.astype(np.float32)
    held[y0:y1, x0:x1] = np.clip(np.rint(region), 0, 255).astype(np.uint8)
    return held


def skin_still_frames(path: Path) -> Iterator[np.ndarray]:
    """The clip's frames with the skin held still: each frame's skin moved to the skin's mean
    colour over the clip (frames where the mesh finds no face are left as they are)."""
    _, frames = open_video(path)
    tracker = FaceTracker()
    skins: list[tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None] = []
    try:
        for frame in frames:
            face = tracker.observe(frame)
            if face is None:
                skins.append(None)
                continue
            box = face_box(face, frame.shape)
            mask = skin_mask(face.landmarks, box)
            x0, y0, x1, y1 = box
            colour = (frame[y0:y1, x0:x1] * mask[..., None]).sum(axis=(0, 1)) / max(float(mask.sum()), 1e-6)
            skins.append((box, mask.astype(np.float16), colour))
    finally:
        tracker.close()
    clip_mean = np.mean([skin[2] for skin in skins if skin is not None], axis=0)
    _, frames = open_video(path)
    for frame, skin in zip(frames, skins):
        yield frame if skin is None else hold_skin(frame, skin[0], skin[1].astype(np.float32), clip_mean - skin[2])


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
        outside_skin = {}
        if any(parse_mode(mode)[1] is None for mode in args.modes):
            crops_still = np.stack([crop(frame, box, CROP_SIZE) for frame, box in zip(skin_still_frames(source), boxes)])
            for a in attackers:
                still = compare_waveforms(a.name, a.family, raw_o[a.name], a.waveform(crops_still, fps), fps, None)
                outside_skin[a.name] = bool(abs(still.pearson_r) > ERASED_MAX_R or still.within_original > ERASED_MAX_SHARE)
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
                                 "within_target": e.within_target, "psnr_db": psnr, "process_s": seconds,
                                 "reads_outside_skin": outside_skin.get(e.name) if target is None else None})
                summary = [r for r in rows if (r["clip"], r["mode"], r["variant"]) == (clip, mode, label) and r["counted"]]
                print(f"{clip:9} {mode:13} {label:10} {sum(r['defeated'] for r in summary):2d}/{len(summary):2d} fooled, "
                      f"PSNR {psnr:.2f} dB; not fooled: {', '.join(r['attacker'] for r in summary if not r['defeated'])}"
                      + (f"; of these, reading the original from outside the skin: "
                         f"{', '.join(r['attacker'] for r in summary if not r['defeated'] and r['reads_outside_skin']) or 'none'}"
                         if target is None else ""), flush=True)
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
        outside = [r for r in chosen if not r["defeated"] and r.get("reads_outside_skin")]
        lines.append(f"{variant:10} {kind:9} all {sum(r['defeated'] for r in chosen)}/{len(chosen)}, "
                     f"held-out {sum(r['defeated'] for r in held)}/{len(held)}, worst PSNR {psnr:.2f} dB"
                     + (f", not fooled but reading the original from outside the skin {len(outside)}" if kind == "erase" else ""))
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
