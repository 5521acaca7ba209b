"""Training losses for pulse waveforms."""

from __future__ import annotations

import torch


def neg_pearson(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - Pearson correlation along the last axis, averaged over the batch (0 = perfect)."""
    p = prediction - prediction.mean(dim=-1, keepdim=True)
    t = target - target.mean(dim=-1, keepdim=True)
    r = (p * t).sum(dim=-1) / (p.norm(dim=-1) * t.norm(dim=-1) + 1e-8)
    return (1.0 - r).mean()


def target_for(output: str, label: torch.Tensor) -> torch.Tensor:
    """What a network is trained to output: the label itself, or its per-frame derivative."""
    if output == "waveform":
        return label
    d = label[:, 1:] - label[:, :-1]
    return torch.cat([d, d[:, -1:]], dim=1)
