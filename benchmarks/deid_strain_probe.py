"""Probe: does limiting the de-identification field's local distortion keep dlib off the face?

Runs ``DeidEditor``'s plan schedule (one plan per second of the clip, on the last second's
canonical crops) with the displacement field's strain (Frobenius norm of its Jacobian; 0 is
a rigid shift) penalised above ``--max-strain``, and reports dlib's match rate (distance <
0.6) between each third canonical crop and its changed self, in canonical space.

    python benchmarks/deid_strain_probe.py lp_d3 --max-strain none 0.3 0.2 0.12 --seconds 10
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from privacycam.editors import deid
from privacycam.editors.deid_warp import WarpRefiner, oval_fade, warp_crops
from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceTracker
from privacycam.identity.chip_ops import TYPICAL_CHIP_TO_CANONICAL, random_transform, render
from privacycam.identity.dlib_resnet import load_dlib_resnet

DATA = (Path(__file__).resolve().parents[1] / "../shared/data").resolve()


def strain(flow: torch.Tensor) -> torch.Tensor:
    """(N, 2, S, S) displacement → (N, S-1, S-1) Frobenius norm of its Jacobian."""
    dx = flow[:, :, :-1, 1:] - flow[:, :, :-1, :-1]
    dy = flow[:, :, 1:, :-1] - flow[:, :, :-1, :-1]
    return (dx.pow(2).sum(1) + dy.pow(2).sum(1) + 1e-12).sqrt()


class StrainLimitedRefiner(WarpRefiner):
    """WarpRefiner whose loss adds ``weight * mean(relu(strain - max_strain)^2)``."""

    def __init__(self, max_strain: float | None, weight: float = 100.0, **settings: float) -> None:
        super().__init__(**settings)
        self.max_strain, self.weight = max_strain, weight

    def refine(self, crops_bgr: np.ndarray, steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        crops = torch.from_numpy(np.asarray(crops_bgr, np.float32).transpose(0, 3, 1, 2).copy())
        for _ in range(self.steps if steps is None else steps):
            picked = crops[self._rng.integers(len(crops), size=self.batch)]
            transform = random_transform(self._rng, self.batch)
            with torch.no_grad():
                reference = self._net(transform(render(picked, self._affine)))
            changed = render(self.change(picked), self._affine)
            dist = ((self._net(transform(changed)) - reference).pow(2).sum(1) + 1e-8).sqrt()
            loss = F.relu(self.margin - dist).mean()
            if self.max_strain is not None:
                loss = loss + self.weight * F.relu(strain(self._dense()[0]) - self.max_strain).pow(2).mean()
            if float(loss.detach()) == 0.0:
                continue
            flow_grad, tone_grad = torch.autograd.grad(loss, (self._flow, self._tone))
            with torch.no_grad():
                self._flow.sub_(self.lr * flow_grad / (flow_grad.pow(2).mean().sqrt() + 1e-12))
                self._tone.sub_(self.tone_lr * tone_grad / (tone_grad.pow(2).mean().sqrt() + 1e-12))
                self._flow.clamp_(-self.max_shift, self.max_shift)
                self._tone.clamp_(-self.max_tone, self.max_tone)
        return self.fields()


def canonical_crops(clip: Path, seconds: float) -> tuple[np.ndarray, float]:
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    tracker, crops = FaceTracker(), []
    while len(crops) < seconds * fps:
        ok, image = capture.read()
        if not ok:
            break
        if (face := tracker.observe(image)) is not None:
            crops.append(CanonicalWarp.from_landmarks(face.landmarks).crop(image))
    return np.array(crops), fps


def probe(crops: np.ndarray, fps: float, max_strain: float | None) -> dict[str, float]:
    editor = deid.DeidEditor()
    editor._refiner = StrainLimitedRefiner(max_strain, steps=3)
    net, affine = load_dlib_resnet(), torch.from_numpy(TYPICAL_CHIP_TO_CANONICAL)[None]
    inner = torch.from_numpy(oval_fade())[1:, 1:] > 0.5
    second, distances, strains = int(fps), [], []
    for start in range(second, len(crops), second):
        window = SimpleNamespace(crops=crops[start - second : start], fps=fps, timestamps=np.arange(start) / fps)
        plan = editor.plan(window, None)
        flow = torch.from_numpy(plan.flow.transpose(2, 0, 1))[None]
        tone = torch.from_numpy(plan.edit.transpose(2, 0, 1))[None]
        strains.append(float(torch.quantile(strain(flow)[0][inner], 0.99)))
        for crop in crops[start : start + second : 3]:
            x = torch.from_numpy(crop.astype(np.float32).transpose(2, 0, 1))[None]
            with torch.no_grad():
                changed = (warp_crops(x, flow) + tone).clamp(0, 255)
                distances.append(float((net(render(x, affine)) - net(render(changed, affine))).norm()))
    distances = np.array(distances)
    return {"max_strain": max_strain, "frames": len(distances), "dlib_match_rate": round(float((distances < 0.6).mean()), 3),
            "distance_median": round(float(np.median(distances)), 3), "strain_p99_median": round(float(np.median(strains)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("--max-strain", nargs="+", default=["none"])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    crops, fps = canonical_crops(DATA / "clips" / f"{args.clip}.mp4", args.seconds)
    for limit in args.max_strain:
        print(json.dumps({"clip": args.clip, **probe(crops, fps, None if limit == "none" else float(limit))}), flush=True)


if __name__ == "__main__":
    main()
