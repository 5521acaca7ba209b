"""Differentiable input handling shared by the deep estimators."""

from __future__ import annotations

import torch
import torch.nn.functional as F

EPS = 1e-6


def to_clip(faces: torch.Tensor, size: int) -> torch.Tensor:
    """(B, T, H, W, 3) float RGB pixels -> (B, 3, T, size, size), area-resized.

    Area resizing is an average over pixels, so it keeps sub-grey-level colour changes and
    passes gradients to every input pixel.
    """
    if faces.ndim != 5 or faces.shape[-1] != 3:
        raise ValueError(f"expected (B, T, H, W, 3) faces, got {tuple(faces.shape)}")
    b, t, h, w, _ = faces.shape
    x = faces.permute(0, 1, 4, 2, 3).reshape(b * t, 3, h, w)
    if (h, w) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="area")
    return x.reshape(b, t, 3, size, size).permute(0, 2, 1, 3, 4)


def standardise(x: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit standard deviation per sample (over all but the batch dimension)."""
    dims = tuple(range(1, x.ndim))
    x = x - x.mean(dim=dims, keepdim=True)
    return x / (x.std(dim=dims, keepdim=True) + EPS)


def ac_dc(x: torch.Tensor) -> torch.Tensor:
    """Each pixel divided by its temporal mean, minus one: (B, C, T, H, W) relative change."""
    return x / (x.mean(dim=2, keepdim=True) + EPS) - 1.0


def normalised_difference(x: torch.Tensor) -> torch.Tensor:
    """DeepPhys frame differences (x[t+1]-x[t])/(x[t+1]+x[t]) on (B, C, T, H, W); last repeated."""
    d = (x[:, :, 1:] - x[:, :, :-1]) / (x[:, :, 1:] + x[:, :, :-1] + EPS)
    return torch.cat([d, d[:, :, -1:]], dim=2)
