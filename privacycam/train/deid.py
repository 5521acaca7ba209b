"""Training of the de-identification editor: seeded, JSON config, logged curves, progress bar.

    python -m privacycam.train.deid [--config cfg.json] [--out privacycam/models]

Each step renders the network's canonical-space edit into the dlib face chips of a batch
(under the face-oval mask), passes edited and original chips through the *same* random
input transformation (EOT: scale/shift/rotation, blur, colour gain and offset, down-up
sampling, noise) and through one member of an ensemble (dlib's ResNet or a copy with
perturbed weights), and minimises a hinge pushing the descriptor distance past a margin,
plus L2 and SSIM fidelity on the chip. The edit is steady by construction (one edit per
plan from the window's mean crop), so no pulse loss is needed; the pulse is measured.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from privacycam.editors.deid_net import CROP, DeidEditorNet
from privacycam.identity.chip_ops import blur, random_transform, render
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD, DlibFaceResNet, load_dlib_resnet
from privacycam.train.deid_data import CHIP, DeidSamples, build_samples

REPO = Path(__file__).resolve().parents[2]


@dataclass
class DeidTrainConfig:
    """Everything a run depends on (JSON config file keys)."""

    seed: int = 0
    steps: int = 2000
    max_minutes: float = 21.0
    batch: int = 12
    lr: float = 3e-3
    margin: float = 0.85  # descriptor distance the hinge asks for (dlib matches below 0.6)
    l2_weight: float = 1.5e-3  # per grey level squared, mean over the chip
    ssim_weight: float = 2.0
    ensemble_noise: float = 0.05  # relative weight noise of the perturbed dlib copies
    ensemble_copies: int = 2
    eot: bool = True
    conditioned: bool = True  # False: train one universal edit (no face-dependent part)
    stride: int = 3  # every n-th clip frame
    eval_every: int = 100
    data_dir: str = "../shared/data"
    train_clips: list[str] = field(default_factory=lambda: ["lp_d3", "lp_d6", "lp_d12", "lp_d13", "lp_d14"])
    train_people: list[str] = field(default_factory=lambda: ["alex_lacamoire", "obama"])
    val_clips: list[str] = field(default_factory=lambda: ["lp_d20"])
    val_people: list[str] = field(default_factory=lambda: ["biden", "rose_leslie"])

    @classmethod
    def from_file(cls, path: Path | None) -> DeidTrainConfig:
        return cls(**json.loads(path.read_text())) if path else cls()


def samples(config: DeidTrainConfig, clips: list[str], people: list[str], cache: Path) -> DeidSamples:
    """Build (or load the cached) samples of the named clips and people."""
    if cache.is_file():
        return DeidSamples.load(cache)
    root = (REPO / config.data_dir).resolve()
    built = build_samples([root / "clips" / f"{c}.mp4" for c in clips], [root / "faces" / p for p in people], config.stride)
    cache.parent.mkdir(parents=True, exist_ok=True)
    built.save(cache)
    return built


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM (Gaussian window, sigma 1.5) of 0..255 images, per batch item."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = blur(a, 1.5), blur(b, 1.5)
    var_a, var_b = blur(a * a, 1.5) - mu_a**2, blur(b * b, 1.5) - mu_b**2
    cov = blur(a * b, 1.5) - mu_a * mu_b
    value = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return value.mean(dim=(1, 2, 3))


def ensemble(config: DeidTrainConfig) -> list[DlibFaceResNet]:
    """dlib's ResNet and copies with multiplicatively perturbed weights (seeded)."""
    base = load_dlib_resnet()
    members = [base]
    g = torch.Generator().manual_seed(config.seed + 7)
    for _ in range(config.ensemble_copies):
        member = copy.deepcopy(base)
        with torch.no_grad():
            for p in member.parameters():
                p.mul_(1 + config.ensemble_noise * torch.randn(p.shape, generator=g))
        members.append(member.requires_grad_(False))
    return members


def _tensors(data: DeidSamples, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
    crops = torch.from_numpy(data.crops[idx]).permute(0, 3, 1, 2).float()
    chips = torch.from_numpy(data.chips[idx]).permute(0, 3, 1, 2).float()
    return crops, chips, torch.from_numpy(data.chip_to_canonical[idx]), torch.from_numpy(data.masks[idx])


def _flip(crops, chips, affines, masks):
    """Mirror faces: crops, chips and masks flip; the chip→canonical map is conjugated."""
    f_chip = torch.tensor([[-1.0, 0, CHIP - 1], [0, 1, 0], [0, 0, 1]])
    f_crop = torch.tensor([[-1.0, 0, CROP - 1], [0, 1, 0]])
    full = torch.cat([affines, torch.tensor([[[0.0, 0, 1]]]).expand(len(affines), 1, 3)], 1)
    return crops.flip(3), chips.flip(3), f_crop @ full @ f_chip, masks.flip(2)


def evaluate(net: DeidEditorNet, data: DeidSamples) -> dict[str, float]:
    """Match rate at 0.6, median distance and chip PSNR on clean (un-transformed) chips, dlib only."""
    dlib = load_dlib_resnet()
    dists, mse = [], []
    with torch.no_grad():
        for start in range(0, len(data.crops), 32):
            crops, chips, affines, masks = _tensors(data, np.arange(start, min(start + 32, len(data.crops))))
            edited = (chips + render(net(crops), affines, masks)).clamp(0, 255).round()
            dists.append((dlib(edited) - dlib(chips)).norm(dim=1))
            mse.append(((edited - chips) ** 2).mean(dim=(1, 2, 3)))
    d, m = torch.cat(dists), torch.cat(mse)
    return {
        "match_rate": float((d < MATCH_THRESHOLD).float().mean()),
        "distance_median": float(d.median()),
        "chip_psnr_db": float(10 * torch.log10(255.0**2 / m.mean())),
    }


def train(config: DeidTrainConfig, out_dir: Path, cache_dir: Path) -> Path:
    """Train; write ``deid_editor.pt``, ``deid_editor_training.csv`` and ``.json`` to ``out_dir``."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    torch.set_num_threads(1)
    train_data = samples(config, config.train_clips, config.train_people, cache_dir / "deid_train.npz")
    val_data = samples(config, config.val_clips, config.val_people, cache_dir / "deid_val.npz")
    sources = np.unique(train_data.source)
    members = ensemble(config)
    net = DeidEditorNet(conditioned=config.conditioned)
    with torch.no_grad():
        net.base.normal_(0.0, 0.1, generator=torch.Generator().manual_seed(config.seed))
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.steps)
    rows: list[dict[str, float]] = []
    start = time.perf_counter()
    bar = tqdm(range(config.steps), desc="deid", unit="step")
    for step in bar:
        picked = rng.choice(sources, config.batch)  # every clip and person equally often
        idx = np.array([rng.choice(np.flatnonzero(train_data.source == s)) for s in picked])
        crops, chips, affines, masks = _tensors(train_data, idx)
        if rng.random() < 0.5:
            crops, chips, affines, masks = _flip(crops, chips, affines, masks)
        jitter = torch.tensor(rng.uniform(0.9, 1.1, (config.batch, 1, 1, 1)), dtype=torch.float32)
        delta = render(net((crops * jitter).clamp(0, 255)), affines, masks)
        edited = (chips + delta).clamp(0, 255)
        transform = random_transform(rng, config.batch) if config.eot else (lambda x: x)
        member = members[0] if rng.random() < 0.5 else members[int(rng.integers(1, len(members)))]
        with torch.no_grad():
            reference = member(transform(chips))
        dist = ((member(transform(edited)) - reference).pow(2).sum(1) + 1e-8).sqrt()
        identity_loss = F.relu(config.margin - dist).mean()
        fidelity = config.l2_weight * delta.pow(2).mean() + config.ssim_weight * (1 - ssim(edited, chips)).mean()
        loss = identity_loss + fidelity
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        row = {"step": step, "loss": loss.item(), "identity": identity_loss.item(), "fidelity": fidelity.item(),
               "distance": dist.mean().item(), "edit_rms": delta.pow(2).mean().sqrt().item(),
               "minutes": (time.perf_counter() - start) / 60}
        if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
            net.eval()
            row.update({f"val_{k}": v for k, v in evaluate(net, val_data).items()})
            net.train()
        rows.append(row)
        bar.set_postfix(dist=f"{row['distance']:.2f}", rms=f"{row['edit_rms']:.1f}")
        if row["minutes"] > config.max_minutes:
            break
    bar.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / "deid_editor.pt"
    torch.save({"state_dict": net.state_dict(), "config": asdict(config), "steps_run": len(rows)}, weights)
    with open(out_dir / "deid_editor_training.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=sorted({k for r in rows for k in r}, key=lambda k: (k != "step", k)))
        writer.writeheader()
        writer.writerows(rows)
    summary = {"config": asdict(config), "steps_run": len(rows), "minutes": rows[-1]["minutes"],
               "train_faces": len(train_data.crops), "val_faces": len(val_data.crops),
               "final_val": {k: v for k, v in rows[-1].items() if k.startswith("val_")}}
    (out_dir / "deid_editor_training.json").write_text(json.dumps(summary, indent=1) + "\n")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the de-identification editor.")
    parser.add_argument("--config", type=Path, help="JSON file with DeidTrainConfig keys")
    parser.add_argument("--out", type=Path, default=REPO / "privacycam" / "models")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "privacycam", help="sample cache")
    parser.add_argument("--steps", type=int, help="override the config's step count")
    args = parser.parse_args()
    config = DeidTrainConfig.from_file(args.config)
    if args.steps:
        config.steps = args.steps
    weights = train(config, args.out, args.cache)
    from privacycam.editors.deid import export_model

    export_model(weights, weights.with_suffix(".onnx"))
    print(f"wrote {weights} and {weights.with_suffix('.onnx')}")


if __name__ == "__main__":
    main()
