"""``--mode deidentify`` against its targets on the shared clips and photos, side by side
with the originals in one run: dlib match rate (seen recogniser, threshold 0.6), the
change's fidelity (PSNR of whole frame and face box), its spatial frequency content (share
of the change's energy above a quarter of the Nyquist frequency, face box) and its flicker
(mean frame-to-frame change of the edit in the face box / the original's own), and the
pulse (``privacycam eval``: every estimator's HR on the original vs the filtered clip and
their waveform correlation). Classical recognisers: ``benchmarks/deid_transfer.py`` on the
videos and photos this writes to ``--keep``. ``--original-pulse`` runs ``deidentify+spoof-wave``
instead, with the consensus of the classical estimators on the original clip (one value per
frame, written to ``--keep``) as the waveform: the pulse editor then re-injects the
original's measured pulse on the reshaped face.

    OMP_NUM_THREADS=1 python benchmarks/deid_measure.py --keep /tmp/deid \\
        --json benchmarks/results/deid_measure.json [--clips lp_d3 ...] [--no-photos] [--no-pulse] [--original-pulse]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from privacycam.identity.describe import describe_still
from privacycam.identity.evaluate import evaluate_identity
from privacycam.identity.fidelity import FidelityMeter, psnr
from privacycam.modes import parse_mode
from privacycam.app.process import process_file, process_image

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / "../shared/data").resolve()
CLIPS = ("lp_d3", "lp_d6", "lp_d12", "lp_d13", "lp_d14", "lp_d20", "evm_face")


def original_pulse_csv(source: Path, path: Path) -> Path:
    """The consensus of the classical estimators on ``source`` (attacker's face box), one value per frame, as CSV."""
    from privacycam.rppg.deep.labels import aligned_waveforms, consensus
    from privacycam.rppg.roi import read_face_crops

    faces, fps = read_face_crops(source)
    np.savetxt(path, consensus(aligned_waveforms(faces, fps)), fmt="%.5f")
    return path


def pulse(original: Path, filtered: Path, out: Path) -> dict[str, object]:
    """``privacycam eval`` on the pair: each estimator's HR (original, filtered), Pearson r, competence."""
    subprocess.run([sys.executable, "-m", "privacycam", "eval", str(original), str(filtered), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = json.loads((out / "report.json").read_text())
    rows = {e["name"]: {"hr_original": e["hr_original"], "hr_filtered": e["hr_filtered"], "r": round(e["pearson_r"], 3),
                        "counted": e.get("counted", True)} for e in report["estimators"]}
    counted = [v for v in rows.values() if v["counted"]]
    return {
        "estimators": rows,
        "worst_hr_error_counted": max((abs(v["hr_filtered"] - v["hr_original"]) for v in counted), default=None),
        "worst_r_counted": min((v["r"] for v in counted), default=None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="*", default=list(CLIPS))
    parser.add_argument("--keep", type=Path, required=True, help="folder for the filtered videos/photos and eval reports")
    parser.add_argument("--stride", type=int, default=3, help="identity: every n-th frame")
    parser.add_argument("--no-photos", action="store_true")
    parser.add_argument("--no-pulse", action="store_true")
    parser.add_argument("--original-pulse", action="store_true", help="deidentify+spoof-wave with the original's measured pulse")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"clips": {}, "photos": {}}
    for clip in args.clips:
        t0 = time.time()
        source = DATA / "clips" / f"{clip}.mp4"
        meter, frames = FidelityMeter(), args.keep / f"{clip}.avi"
        capture = cv2.VideoCapture(str(source))
        writer = cv2.VideoWriter(str(frames), cv2.VideoWriter_fourcc(*"FFV1"), capture.get(cv2.CAP_PROP_FPS),
                                 (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))))
        capture.release()

        def observe(frame, result) -> None:  # the frames exactly as made, one per input frame
            meter(frame, result)
            writer.write(result.image)

        mode = parse_mode("deidentify")
        if args.original_pulse:
            wave = original_pulse_csv(source, args.keep / f"{clip}_pulse.csv")
            mode = parse_mode("deidentify+spoof-wave", wave=str(wave))
        process_file(source, args.keep / f"{clip}.mkv", mode, on_frame=observe, progress=False)
        writer.release()
        filtered = frames
        identity = evaluate_identity(source, filtered, stride=args.stride)
        row = {"dlib_match_rate": round(identity.match_rate, 4), "compared": identity.compared,
               "dlib_distance_median": round(float(np.median(identity.found)), 3),
               "dlib_distance_min": round(float(identity.found.min()), 3), **meter.summary()}
        if not args.no_pulse:
            row["pulse"] = pulse(source, filtered, args.keep / f"eval_{clip}")
        row["seconds"] = round(time.time() - t0, 1)
        report["clips"][clip] = row
        print(clip, json.dumps(row), flush=True)
    if not args.no_photos:
        for photo in sorted((DATA / "faces").glob("*/*")):
            out = args.keep / "photos" / photo.parent.name / f"{photo.stem}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            process_image(photo, out, parse_mode("deidentify"))
            a, b = describe_still(cv2.imread(str(photo))), describe_still(cv2.imread(str(out)))
            distance = None if a is None or b is None else round(float(np.linalg.norm(a - b)), 3)
            original, changed = cv2.imread(str(photo)).astype(np.float32), cv2.imread(str(out)).astype(np.float32)
            report["photos"][f"{photo.parent.name}/{photo.name}"] = {"dlib_distance": distance, "psnr_db": round(psnr(original, changed), 2)}
            print(photo.parent.name, photo.name, report["photos"][f"{photo.parent.name}/{photo.name}"], flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
