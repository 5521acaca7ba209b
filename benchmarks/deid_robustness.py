"""Does the ``deidentify`` edit survive what an attacker's pipeline does to a frame first?

dlib's match rate (distance below 0.6 between the clean original frame's descriptor and the
filtered frame's) after the filtered frame is JPEG-compressed, downscaled, blurred or
brightened — transformations an attacker (or a video call's codec) applies before
recognition. The face is found on each transformed frame by itself.

    OMP_NUM_THREADS=1 python benchmarks/deid_robustness.py ORIGINAL FILTERED [--stride 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from privacycam.identity.describe import FaceDescriber
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD
from privacycam.io.sources import VideoFileSource


def _jpeg(quality: int) -> Callable[[np.ndarray], np.ndarray]:
    def apply(image: np.ndarray) -> np.ndarray:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return cv2.imdecode(data, cv2.IMREAD_COLOR)
    return apply


def _rescale(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        small = cv2.resize(image, (int(w * factor), int(h * factor)), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return apply


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda image: image,
    "jpeg q75": _jpeg(75),
    "jpeg q40": _jpeg(40),
    "downscale 0.5x": _rescale(0.5),
    "blur sigma 1.5": lambda image: cv2.GaussianBlur(image, (0, 0), 1.5),
    "brightness +20": lambda image: cv2.convertScaleAbs(image, alpha=1.0, beta=20),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original", type=Path)
    parser.add_argument("filtered", type=Path)
    parser.add_argument("--stride", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    distances: dict[str, list[float | None]] = {name: [] for name in TRANSFORMS}
    describers = {name: FaceDescriber() for name in TRANSFORMS}
    with VideoFileSource(args.original) as src_a, VideoFileSource(args.filtered) as src_b, FaceDescriber() as reference:
        for frame_a, frame_b in zip(src_a, src_b):
            if frame_a.index % args.stride:
                continue
            ref = reference.describe(frame_a.image)
            if ref is None:
                continue
            for name, transform in TRANSFORMS.items():
                desc = describers[name].describe(transform(frame_b.image))
                distances[name].append(None if desc is None else float(np.linalg.norm(desc - ref)))
    for describer in describers.values():
        describer.close()
    rows = {}
    print(f"{args.filtered.name}: dlib match rate (distance < {MATCH_THRESHOLD}) after the attacker's transform")
    for name, values in distances.items():
        found = np.array([d for d in values if d is not None])
        matches = int((found < MATCH_THRESHOLD).sum())
        rows[name] = {"compared": len(values), "matches": matches, "no_face": len(values) - len(found),
                      "distance_median": round(float(np.median(found)), 4) if len(found) else None,
                      "distance_min": round(float(found.min()), 4) if len(found) else None}
        print(f"  {name:<16} {matches:>4}/{len(values):<4} {100 * matches / max(1, len(values)):5.1f}%  "
              f"median {rows[name]['distance_median']}  min {rows[name]['distance_min']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"original": str(args.original), "filtered": str(args.filtered),
                                         "stride": args.stride, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
