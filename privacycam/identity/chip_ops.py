"""Differentiable operations in dlib's face-chip space: rendering a canonical-space edit
into chips, and random input transformations (EOT) an attacker's pipeline might apply."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

CHIP = 150  # dlib's chip side
CANONICAL = 64  # the pipeline's canonical crop side
# chip pixel -> canonical pixel for a typical face (mean over the training faces; the
# per-face spread is ~2% in scale and ~1 px in shift), for chips made from canonical crops.
TYPICAL_CHIP_TO_CANONICAL = np.array([[0.4452, 0.0005, -0.6798], [-0.0005, 0.4452, 0.4378]], np.float32)


def render(edit_bgr: torch.Tensor, chip_to_canonical: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
    """(N,3,g,g) BGR canonical edits (or crops) → (N,3,150,150) RGB chip-space images, times ``masks``."""
    v, u = torch.meshgrid(torch.arange(CHIP, dtype=torch.float32), torch.arange(CHIP, dtype=torch.float32), indexing="ij")
    uv1 = torch.stack([u, v, torch.ones_like(u)], -1).reshape(-1, 3)
    canonical = uv1 @ chip_to_canonical.transpose(1, 2)  # (N, P, 2)
    grid = ((canonical + 0.5) / CANONICAL * 2 - 1).reshape(-1, CHIP, CHIP, 2)
    warped = F.grid_sample(edit_bgr.flip(1), grid, mode="bilinear", padding_mode="border", align_corners=False)
    return warped if masks is None else warped * masks[:, None]


def _gauss(sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(2.5 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W), replicated borders."""
    k = _gauss(sigma)
    c, r = x.shape[1], len(k) // 2
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def random_transform(rng: np.random.Generator, n: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """One EOT draw for a batch of chips (rotation ±5°, scale ±8%, shift ±5%, blur, down-up
    sampling, colour gain and offset, noise): apply it identically to edited and original chips."""
    angle = np.deg2rad(rng.uniform(-5, 5, n))
    scale = rng.uniform(0.92, 1.08, n)
    shift = rng.uniform(-0.05, 0.05, (n, 2))
    rows = [np.stack([scale * np.cos(angle), -scale * np.sin(angle), shift[:, 0]], 1),
            np.stack([scale * np.sin(angle), scale * np.cos(angle), shift[:, 1]], 1)]
    theta = torch.tensor(np.stack(rows, 1), dtype=torch.float32)
    sigma = rng.uniform(0.3, 1.5) if rng.random() < 0.5 else 0.0
    down = rng.uniform(0.4, 0.9) if rng.random() < 0.3 else 1.0
    gain = torch.tensor(rng.uniform(0.85, 1.15, (n, 3, 1, 1)), dtype=torch.float32)
    offset = torch.tensor(rng.uniform(-12, 12, (n, 1, 1, 1)), dtype=torch.float32)
    noise = rng.uniform(0, 4)
    seed = int(rng.integers(1 << 31))

    def apply(chips: torch.Tensor) -> torch.Tensor:
        grid = F.affine_grid(theta, list(chips.shape), align_corners=False)
        x = F.grid_sample(chips, grid, padding_mode="zeros", align_corners=False)
        if sigma:
            x = blur(x, sigma)
        if down < 1.0:
            small = F.interpolate(x, scale_factor=down, mode="bilinear", antialias=True, align_corners=False)
            x = F.interpolate(small, size=CHIP, mode="bilinear", align_corners=False)
        noisy = x * gain + offset + noise * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
        return noisy.clamp(0, 255)

    return apply
