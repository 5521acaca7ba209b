"""Training loop of the learned pulse editor: seeded, config file, logged curves, progress bar."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from privacycam.editors.pulse_net import PulseEditorNet
from privacycam.pulse.colour import BLOOD_VOLUME_BGR
from privacycam.pulse.decoy import DecoyNoise
from privacycam.pulse.target import synthetic_ppg
from privacycam.rppg.classical import Pos, rgb_trace
from privacycam.rppg.deep.estimator import physnet, tscan
from privacycam.rppg.heart_rate import bandpass, heart_rate
from privacycam.rppg.objective import attacker, fidelity_loss, pulse_loss
from privacycam.rppg.published.estimators import PORT_NAMES, PortedEstimator
from privacycam.rppg.registry import load_estimators
from privacycam.train.data import CanonicalClip, load_clips
from privacycam.train.simulate import stream_edits


@dataclass
class TrainConfig:
    """Everything a run depends on (JSON config file keys)."""

    seed: int = 0
    steps: int = 200
    batch: int = 4
    edit_frames: int = 120  # frames the attackers see per sample (multiple of plan_every)
    plan_every: int = 10
    crossfade: int = 10
    lr: float = 0.01
    erase_share: float = 0.5
    bpm_range: tuple[float, float] = (50.0, 160.0)
    motion_px: float = 0.0  # residual head motion in the canonical crop: slow shift up to this (px), plus jitter
    scale_jitter: float = 0.0  # and a slow zoom up to this relative change (the warp tracks the face, not perfectly)
    compression_share: float = 0.0  # share of segments JPEG round-tripped per frame (a compressed camera or call)
    jpeg_quality: tuple[int, int] = (50, 95)
    budget_rms: float = 2.0  # grey levels of edit on the skin before the hinge bites
    mse_weight: float = 0.02
    deep_every: int = 2  # steps between steps that include the deep surrogate
    eval_every: int = 50
    data_dir: str = "../shared/data/clips"
    train_clips: list[str] = field(default_factory=lambda: ["lp_d3", "lp_d6", "lp_d12", "lp_d13", "lp_d20"])
    val_clips: list[str] = field(default_factory=lambda: ["lp_d14"])
    train_attackers: list[str] = field(default_factory=lambda: ["green", "chrom", "pos", "physnet"])
    heldout_attackers: list[str] = field(default_factory=lambda: ["lgi", "omit", "pbv", "tscan"])

    @classmethod
    def from_file(cls, path: Path | None) -> TrainConfig:
        return cls(**json.loads(Path(path).read_text())) if path else cls()


def _tensors(clip: CanonicalClip) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(clip.crops).float().permute(0, 3, 1, 2), torch.from_numpy(clip.masks)


def _clip_pulse_hz(clip_crops: np.ndarray, fps: float) -> float:
    """The clip's own pulse rate by POS on the canonical crop (for the decoy's stop band)."""
    return heart_rate(Pos().from_trace(rgb_trace(clip_crops[..., ::-1]), fps), fps) / 60.0


def _moved(frames: torch.Tensor, shift_px: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """(T, C, S, S) frames shifted by (T, 2) pixels and zoomed by (T,) factors about the centre (bilinear)."""
    size = frames.shape[-1]
    theta = torch.zeros(len(frames), 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0 / scale
    theta[:, :, 2] = -2.0 * shift_px / size
    grid = torch.nn.functional.affine_grid(theta, list(frames.shape), align_corners=False)
    return torch.nn.functional.grid_sample(frames, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _jpeg(frames: torch.Tensor, quality: int) -> torch.Tensor:
    """(T, 3, S, S) BGR frames through a JPEG encode/decode at ``quality``, frame by frame."""
    out = []
    for frame in frames.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy():
        _, encoded = cv2.imencode(".jpg", np.ascontiguousarray(frame), [cv2.IMWRITE_JPEG_QUALITY, quality])
        out.append(cv2.imdecode(encoded, cv2.IMREAD_COLOR))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float()


class Sampler:
    """Augmented training segments: ping-pong looped clips, random start, skin-tone and
    brightness gains, slow lighting drift, an extra synthetic pulse, residual head motion and
    zoom (crops and masks alike), sensor noise, JPEG compression."""

    def __init__(self, clips: list[CanonicalClip], config: TrainConfig, rng: np.random.Generator) -> None:
        self.clips, self.config, self.rng = clips, config, rng
        self.frames = PulseEditorNet().window + config.plan_every + config.edit_frames
        self.data = [_tensors(c) for c in clips]

    def segment(self) -> tuple[torch.Tensor, torch.Tensor, float, float]:
        r, cfg = self.rng, self.config
        i = int(r.integers(len(self.clips)))
        crops, masks = self.data[i]
        fps = self.clips[i].fps
        while len(crops) < self.frames + 1:
            crops, masks = torch.cat([crops, crops.flip(0)]), torch.cat([masks, masks.flip(0)])
        start = int(r.integers(len(crops) - self.frames))
        crops, masks = crops[start : start + self.frames].clone(), masks[start : start + self.frames]
        t = torch.arange(self.frames, dtype=torch.float32) / fps
        gain = torch.tensor(r.uniform(0.85, 1.15, 3) * r.uniform(0.8, 1.15), dtype=torch.float32).view(1, 3, 1, 1)
        drift = 1 + r.uniform(0, 0.02) * torch.sin(2 * np.pi * r.uniform(0.05, 0.3) * t + r.uniform(0, 6.3))
        crops = crops * gain * drift.view(-1, 1, 1, 1)
        pulse_hz = _clip_pulse_hz(crops.permute(0, 2, 3, 1).numpy(), fps)
        if r.random() < 0.7:
            bpm = r.uniform(45, 150)
            wave = torch.from_numpy(synthetic_ppg(self.frames / fps, fps, bpm, int(r.integers(1 << 30)))).float()
            colour = torch.from_numpy(BLOOD_VOLUME_BGR / BLOOD_VOLUME_BGR.max()).view(1, 3, 1, 1)
            reach = (0.4 + 0.6 * masks).unsqueeze(1)
            crops = crops * (1 + r.uniform(0.001, 0.006) * wave[: self.frames].view(-1, 1, 1, 1) * colour * reach)
            pulse_hz = bpm / 60.0
        if cfg.motion_px > 0 or cfg.scale_jitter > 0:
            phase = 2 * np.pi * r.uniform(0.1, 0.5) * t[:, None] + torch.from_numpy(r.uniform(0, 6.3, 3)).float()
            slow = torch.sin(phase)  # (T, 3): x, y, zoom, each a slow sway of its own phase
            shift = cfg.motion_px * (r.uniform(0.3, 1.0) * slow[:, :2] + 0.2 * torch.randn(self.frames, 2))
            scale = 1.0 + cfg.scale_jitter * r.uniform(0.3, 1.0) * slow[:, 2]
            moved = _moved(torch.cat([crops, masks[:, None]], dim=1), shift, scale)  # the mask moves with the face
            crops, masks = moved[:, :3], moved[:, 3]
        crops = crops + r.uniform(0, 1.5) * torch.randn_like(crops)
        if cfg.compression_share > 0 and r.random() < cfg.compression_share:  # off: no draw, old runs reproduce
            crops = _jpeg(crops, int(r.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
        return crops.clamp(0, 255), masks, fps, pulse_hz

    def drive(self, erase: bool, fps: float, pulse_hz: float) -> tuple[np.ndarray, np.ndarray]:
        """(drive, target) per frame: the target pulse for spoof-hr, the decoy for erase."""
        seed = int(self.rng.integers(1 << 30))
        if erase:
            decoy = DecoyNoise(fps=fps, seed=seed)
            decoy.avoid(pulse_hz)
            values = np.array([decoy.advance() for _ in range(self.frames + 60)])[60:]
            return values, values
        bpm = self.rng.uniform(*self.config.bpm_range)
        values = synthetic_ppg(self.frames / fps + 1, fps, bpm, seed)[: self.frames]
        return values, values


def _batch(sampler: Sampler, size: int) -> dict[str, torch.Tensor | float]:
    crops, masks, drives, targets, erase = [], [], [], [], []
    fps = None
    for _ in range(size):
        c, m, f, hz = sampler.segment()
        e = bool(sampler.rng.random() < sampler.config.erase_share)
        d, y = sampler.drive(e, f, hz)
        crops.append(c), masks.append(m), drives.append(d), targets.append(y), erase.append(e)
        fps = f if fps is None else fps
    return {
        "crops": torch.stack(crops), "masks": torch.stack(masks), "fps": fps,
        "drive": torch.from_numpy(np.stack(drives)).float(), "target": torch.from_numpy(np.stack(targets)).float(),
        "erase": torch.tensor(erase),
    }


def evaluate_clip(net: PulseEditorNet, clip: CanonicalClip, names: list[str], deep: dict, config: TrainConfig) -> dict:
    """Stream the whole clip in spoof-hr 60/90/120/150 and erase; per attacker: share of
    spoof runs whose whole-clip HR is within 3 bpm of the target, and erase |r|."""
    crops, masks = _tensors(clip)
    history = net.window + config.plan_every
    length = (len(crops) - history) // config.plan_every * config.plan_every
    crops, masks = crops[: history + length][None], masks[: history + length][None]
    n, fps = crops.shape[1], clip.fps
    decoy = DecoyNoise(fps=fps, seed=7)
    decoy.avoid(_clip_pulse_hz(clip.crops[:n], fps))
    runs = {f"spoof {bpm}": synthetic_ppg(n / fps + 1, fps, bpm, 3)[:n] for bpm in (60, 90, 120, 150)}
    runs["erase"] = np.array([decoy.advance() for _ in range(n)])
    result: dict[str, dict[str, float]] = {name: {} for name in names}
    with torch.no_grad():
        original = crops[:, history:]
        for run_name, drive in runs.items():
            erase = run_name == "erase"
            edit = stream_edits(net, crops, masks, torch.from_numpy(drive).float()[None], torch.tensor([int(erase)]),
                                config.plan_every, config.crossfade)
            edited = original + edit
            for name in names:
                attack = attacker(name, deep)
                wave = attack(edited, fps)[0].numpy()
                if erase:
                    ref = bandpass(attack(original, fps)[0].numpy(), fps)
                    result[name]["erase_abs_r"] = float(abs(np.corrcoef(bandpass(wave, fps), ref)[0, 1]))
                else:
                    bpm = float(run_name.split()[1])
                    hit = abs(heart_rate(wave, fps) - bpm) <= 3.0
                    result[name]["spoof_hit"] = result[name].get("spoof_hit", 0.0) + hit / 4
    return result


def published_surrogates(names: list[str]) -> dict[str, PortedEstimator]:
    """The published models' torch ports among ``names`` (``physnet.pure``, ``tscan.rlap``, ...),
    weights read from the installed open-rppg package."""
    return {estimator.name: estimator for estimator in load_estimators([name for name in names if name in PORT_NAMES])}


def selection_score(metrics: dict) -> float:
    """Higher is better: mean spoof hit rate minus mean erase |r| over attackers."""
    rows = list(metrics.values())
    return float(np.mean([m["spoof_hit"] for m in rows]) - np.mean([m["erase_abs_r"] for m in rows]))


def train(config: TrainConfig, out_dir: Path, cache_dir: Path) -> dict:
    """Train, select on the validation clips with all attackers, write weights, curves, summary."""
    started = time.time()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = Path(config.data_dir)
    train_clips = load_clips([data / f"{n}.mp4" for n in config.train_clips], cache_dir)
    val_clips = load_clips([data / f"{n}.mp4" for n in config.val_clips], cache_dir)
    deep = {"physnet": physnet(), "tscan": tscan(), **published_surrogates(config.train_attackers + config.heldout_attackers)}
    classical = [attacker(n, deep) for n in config.train_attackers if n not in deep]
    deep_train = [attacker(n, deep) for n in config.train_attackers if n in deep]
    net = PulseEditorNet()
    optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.lr, total_steps=config.steps, pct_start=0.15)
    sampler = Sampler(train_clips, config, rng)
    curves, evals, best = [], [], (-np.inf, None, -1)
    all_names = config.train_attackers + config.heldout_attackers

    def validate(step: int) -> None:
        nonlocal best
        per_clip = {c.name: evaluate_clip(net, c, all_names, deep, config) for c in val_clips}
        score = float(np.mean([selection_score(m) for m in per_clip.values()]))
        evals.append({"step": step, "score": score, "metrics": per_clip})
        if score > best[0]:
            best = (score, {k: v.clone() for k, v in net.state_dict().items()}, step)

    validate(0)
    bar = tqdm(range(1, config.steps + 1), desc="training pulse editor", unit="step")
    for step in bar:
        batch = _batch(sampler, config.batch)
        use_deep = step % config.deep_every == 0
        attackers = classical + (deep_train if use_deep else [])
        edit = stream_edits(net, batch["crops"], batch["masks"], batch["drive"], batch["erase"].long(),
                            config.plan_every, config.crossfade)
        history = batch["crops"].shape[1] - edit.shape[1]
        original = batch["crops"][:, history:]
        masks = batch["masks"][:, history:]
        target = batch["target"][:, history:]
        attack_loss, parts = pulse_loss(original + edit, original, target, batch["erase"], attackers, batch["fps"])
        fid_loss, rms = fidelity_loss(edit, masks, config.budget_rms, config.mse_weight)
        loss = attack_loss + fid_loss
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        row = {"step": step, "loss": float(loss), "attack": float(attack_loss), "fidelity": float(fid_loss),
               "skin_rms": rms, "deep": use_deep, **parts}
        curves.append(row)
        bar.set_postfix(loss=f"{row['loss']:.3f}", rms=f"{rms:.2f}")
        if step % config.eval_every == 0 or step == config.steps:
            validate(step)

    net.load_state_dict(best[1])
    torch.save({"state_dict": net.state_dict(), "config": asdict(config), "selected_step": best[2]}, out_dir / "pulse_editor.pt")
    with open(out_dir / "pulse_editor_training.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(curves[0]))
        writer.writeheader()
        writer.writerows(curves)
    summary = {"config": asdict(config), "selected_step": best[2], "selection_score": best[0],
               "wall_s": round(time.time() - started, 1), "evaluations": evals,
               "parameters": sum(p.numel() for p in net.parameters())}
    (out_dir / "pulse_editor_training.json").write_text(json.dumps(summary, indent=1))
    return summary
