"""Fidelity vs de-identification of ``--mode deidentify`` for refinement settings.

For each setting and each clip: ``process_file`` (the product's streaming path, lossless
output in a temporary folder), whole-frame PSNR over the clip's mean squared error (as
``privacycam eval`` computes it), and dlib's match rate / distances filtered vs original
(``evaluate_identity``, every ``--stride``-th frame). Photos: ``process_image`` per photo,
then ``evaluate_identity`` on the folders. One JSON line per (setting, item) is appended to
``--out``. Settings are JSON objects: IdentityRefiner keywords plus ``start_scale``, ``refine_on``
and ``grid`` (DeidEditor's module settings); what a setting leaves out keeps the shipped value.
An Adam setting (louder, 33 dB on evm_face) for comparison:
``{"optimizer": "adam", "lr": 0.6, "margin": 0.9, "l2_weight": 0.002, "rms_cap": null, "refine_on": "mean", "grid": 16}``.

    OMP_NUM_THREADS=1 python benchmarks/deid_sweep.py --clips lp_d3 lp_d12 \\
        --setting '{"rms_cap": 4.5}' --setting '{"margin": 0.7, "l2_weight": 0.004}'
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from privacycam.editors import deid
from privacycam.editors import deid_refine
from privacycam.evaluation.metrics import psnr_from_mse
from privacycam.identity.evaluate import evaluate_identity
from privacycam.io.sources import VideoFileSource
from privacycam.modes import parse_mode
from privacycam.process import process_file, process_image

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / "../shared/data").resolve()


DEFAULTS = {"start_scale": deid.START_SCALE, "refine_on": deid.REFINE_ON, "grid": deid.REFINE_GRID}


class _Recorded(deid_refine.IdentityRefiner):
    instances: list["_Recorded"] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _Recorded.instances.append(self)


def apply_setting(setting: dict) -> None:
    """Make the next DeidEditor use ``setting``."""
    setting = dict(setting)
    deid.START_SCALE = float(setting.pop("start_scale", DEFAULTS["start_scale"]))
    deid.REFINE_ON = str(setting.pop("refine_on", DEFAULTS["refine_on"]))
    deid.REFINE_GRID = int(setting.pop("grid", DEFAULTS["grid"]))
    deid.REFINE = setting
    deid.IdentityRefiner = _Recorded
    _Recorded.instances.clear()


def clip_psnr(original: Path, filtered: Path) -> float:
    """Whole-frame PSNR from the mean squared error over every frame."""
    total, count = 0.0, 0
    with VideoFileSource(original) as a, VideoFileSource(filtered) as b:
        for fa, fb in zip(a, b):
            total += float(np.mean((fa.image.astype(np.float64) - fb.image.astype(np.float64)) ** 2))
            count += 1
    return psnr_from_mse(total / count)


def run_clip(name: str, stride: int, work: Path) -> dict:
    source = DATA / "clips" / f"{name}.mp4"
    out = work / f"{name}.mkv"
    t0 = time.time()
    process_file(source, out, parse_mode("deidentify"), progress=False)
    rms = _Recorded.instances[-1].edit_rms() if _Recorded.instances else None
    identity = evaluate_identity(source, out, stride=stride).to_json()
    return {"item": name, "psnr_db": round(clip_psnr(source, out), 2), "edit_rms": rms, **_summary(identity),
            "seconds": round(time.time() - t0, 1)}


def run_photos(people: list[str], work: Path) -> dict:
    originals, filtered = work / "orig", work / "filt"
    t0, psnrs, rms = time.time(), {}, []
    for person in people:
        for photo in sorted((DATA / "faces" / person).iterdir()):
            for folder in (originals, filtered):
                (folder / person).mkdir(parents=True, exist_ok=True)
            name = f"{person}/{photo.with_suffix('.png').name}"
            image = cv2.imread(str(photo))
            cv2.imwrite(str(originals / name), image)
            process_image(photo, filtered / name, parse_mode("deidentify"))
            mse = float(np.mean((cv2.imread(str(filtered / name)).astype(float) - image.astype(float)) ** 2))
            psnrs[name] = round(psnr_from_mse(mse), 2)
            if _Recorded.instances:
                rms.append(round(_Recorded.instances[-1].edit_rms(), 2))
    identity = evaluate_identity(originals, filtered).to_json()
    return {"item": "photos:" + ",".join(people), "psnr_db": psnrs, "edit_rms": rms, **_summary(identity),
            "seconds": round(time.time() - t0, 1)}


def _summary(identity: dict) -> dict:
    keys = ("compared", "matches", "match_rate", "no_face_in_filtered", "distance_median", "distance_min")
    out = {k: identity[k] for k in keys}
    if identity["kind"] == "photos":
        out["distances"] = {i["label"]: i["distance"] for i in identity["items"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="*", default=[])
    parser.add_argument("--people", nargs="*", default=[], help="photo folders of ../shared/data/faces")
    parser.add_argument("--setting", action="append", default=[], help="JSON object (repeatable); default: shipped")
    parser.add_argument("--stride", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/deid_sweep.jsonl"))
    parser.add_argument("--keep", type=Path, help="keep the filtered clips (CLIP.mkv) and photos (filt/) here (one setting)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for text in args.setting or ["{}"]:
        setting = json.loads(text)
        with tempfile.TemporaryDirectory() as tmp:
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                tmp = str(args.keep)
            rows = []
            for clip in args.clips:
                apply_setting(setting)
                rows.append(run_clip(clip, args.stride, Path(tmp)))
            if args.people:
                apply_setting(setting)
                rows.append(run_photos(args.people, Path(tmp)))
        with args.out.open("a") as f:
            for row in rows:
                row = {"setting": setting, **row}
                print(json.dumps(row), flush=True)
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
