"""Training loop for the deep rPPG estimators: seeded, logged, with held-out checks."""

from __future__ import annotations

import copy
import csv
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from privacycam.rppg.deep.data import Clip, Sampling, batch
from privacycam.rppg.deep.estimator import DeepEstimator, build_model, save_weights
from privacycam.rppg.deep.evaluate import evaluate
from privacycam.rppg.deep.losses import neg_pearson, target_for


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (with the data and the seed)."""

    model: str = "physnet"
    epochs: int = 20
    seed: int = 0
    size: int = 36
    batch_size: int = 8
    windows_per_epoch: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    options: dict = field(default_factory=dict)  # architecture options, e.g. {"width": 16}
    sampling: Sampling = Sampling()
    holdout: tuple[str, ...] = ("evm_face",)  # clips kept out of training, used for checks
    eval_bpms: tuple[float, ...] = (60.0, 72.0, 90.0, 120.0, 150.0)
    eval_amplitude: float = 2.0
    eval_every: int = 5

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """A config from JSON-like values (unknown keys are an error)."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown training option(s): {sorted(unknown)}")
        values = dict(values)
        if "sampling" in values:
            values["sampling"] = Sampling(**{k: tuple(v) if isinstance(v, list) else v for k, v in values["sampling"].items()})
        for key in ("holdout", "eval_bpms"):
            if key in values:
                values[key] = tuple(values[key])
        return replace(cls(), **values)


@dataclass
class TrainResult:
    """A trained network and its per-epoch log."""

    model: nn.Module
    history: list[dict]
    seconds: float


def train(config: TrainConfig, clips: Sequence[Clip], eval_clips: Sequence[Clip] = (), progress: bool = True) -> TrainResult:
    """Train ``config.model`` on windows drawn from ``clips``; check on ``eval_clips`` every few epochs."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = build_model(config.model, size=config.size, **config.options)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, config.windows_per_epoch // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.lr, total_steps=config.epochs * steps_per_epoch)
    history: list[dict] = []
    started = time.perf_counter()
    bar = tqdm(range(config.epochs), desc=f"train {config.model}", unit="epoch", disable=not progress)
    for epoch in bar:
        model.train()
        losses = []
        for _ in range(steps_per_epoch):
            frames, labels = batch(clips, config.batch_size, rng, config.sampling)
            output = model(torch.from_numpy(frames))
            loss = neg_pearson(output, target_for(model.output, torch.from_numpy(labels).float()))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
        row = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "seconds": time.perf_counter() - started}
        if eval_clips and ((epoch + 1) % config.eval_every == 0 or epoch + 1 == config.epochs):
            report = evaluate(DeepEstimator(config.model, copy.deepcopy(model)), eval_clips, config.eval_bpms, config.eval_amplitude)
            row.update({f"{name}_hr": r["hr"] for name, r in report.items()})
            row.update({f"{name}_injected_mae": r["injected_mae"] for name, r in report.items()})
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.3f}")
    return TrainResult(model.eval(), history, time.perf_counter() - started)


def write_outputs(result: TrainResult, config: TrainConfig, out_dir: str | Path, extra: dict | None = None) -> Path:
    """Write ``<model>.pt`` and the run log ``<model>_training.json`` / ``.csv``; returns the weights path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    options = {"size": config.size, **config.options}
    meta = {"seed": config.seed, "epochs": config.epochs, "seconds": round(result.seconds, 1)}
    weights = out / f"{config.model}.pt"
    save_weights(result.model, config.model, weights, options, meta)
    log = {"config": asdict(config), "seconds": result.seconds, "history": result.history, **(extra or {})}
    (out / f"{config.model}_training.json").write_text(json.dumps(log, indent=1, default=float))
    columns = sorted({key for row in result.history for key in row}, key=lambda k: (k != "epoch", k))
    with open(out / f"{config.model}_training.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(result.history)
    return weights
