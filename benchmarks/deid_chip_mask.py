"""How large must a static, smooth edit be to stop the dlib recogniser matching a face?

White-box probe for the ``deidentify`` mode (not the product's editor): one low-resolution
additive edit in dlib's 150x150 face-chip space is optimised with Adam against the torch
port of dlib's ResNet on the even frames of a clip (push the distance to the original
descriptor above ``--margin``, L2 penalty on the edit) and evaluated on the odd frames.
A static edit carries no pulse-band signal, so rPPG is untouched by construction;
it is evaluated with the recogniser it was optimised against (no transfer claim).

    python benchmarks/deid_chip_mask.py [--clip ../shared/data/clips/evm_face.mp4]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from privacycam.identity.describe import FaceDescriber
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD, load_dlib_resnet
from privacycam.io.sources import VideoFileSource

REPO = Path(__file__).resolve().parents[1]


def clip_chips(path: Path) -> np.ndarray:
    """(N, 150, 150, 3) uint8 RGB dlib chips of every frame with a face."""
    chips = []
    with VideoFileSource(path) as source, FaceDescriber() as describer:
        for frame in source:
            chip = describer.chip(frame.image)
            if chip is not None:
                chips.append(chip)
    return np.stack(chips)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(255.0**2 / F.mse_loss(a, b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=REPO.parent / "shared/data/clips/evm_face.mp4")
    parser.add_argument("--grid", type=int, default=19, help="edit resolution (upsampled to 150)")
    parser.add_argument("--margin", type=float, default=0.75)
    parser.add_argument("--weights", type=float, nargs="+", default=[3e-4, 1e-3, 3e-3])
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = load_dlib_resnet()
    chips = torch.from_numpy(clip_chips(args.clip)).permute(0, 3, 1, 2).float()
    train, test = chips[0::2], chips[1::2]
    with torch.no_grad():
        ref_train, ref_test = net(train), net(test)
    rows = []
    for weight in args.weights:
        start = time.perf_counter()
        edit = (2.0 * torch.randn(1, 3, args.grid, args.grid)).requires_grad_()  # |d| = 0 has no gradient
        opt = torch.optim.Adam([edit], lr=1.0)
        for _ in range(args.steps):
            idx = torch.randint(0, len(train), (16,))
            up = F.interpolate(edit, size=150, mode="bilinear", align_corners=False)
            out = net((train[idx] + up).clamp(0, 255))
            dist = (out - ref_train[idx]).norm(dim=1)
            loss = F.relu(args.margin - dist).mean() + weight * up.pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            up = F.interpolate(edit, size=150, mode="bilinear", align_corners=False)
            filtered = (test + up).clamp(0, 255).round()
            dist = (net(filtered) - ref_test).norm(dim=1)
        rows.append(
            {
                "l2_weight": weight,
                "test_frames": len(test),
                "match_rate": round(float((dist < MATCH_THRESHOLD).float().mean()), 4),
                "distance_median": round(float(dist.median()), 4),
                "psnr_chip_db": round(psnr(filtered, test), 2),
                "edit_rms_grey_levels": round(float(up.pow(2).mean().sqrt()), 2),
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
        print(json.dumps(rows[-1]))
    out = REPO / "benchmarks" / "results" / "deid_chip_mask.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"clip": args.clip.name, "grid": args.grid, "margin": args.margin,
                               "steps": args.steps, "runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
