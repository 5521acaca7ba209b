"""The learned pulse editor's network: a soft, trainable version of the spectral plan.

Input: the last ``window`` frames of the skin colour of each cell of a ``grid`` x ``grid``
canonical grid, as relative change (x / window mean - 1, in percent) plus skin coverage,
and each cell's mean colour. The network
- forms learned colour projections of the whole-skin trace and their periodogram at
  ``bins`` candidate frequencies (cycles per frame, covering 0.7-3.5 Hz at 25-30 fps);
- selects frequencies: softmax of a weighted log-power plus a small 1-D CNN correction;
- forecasts every cell's pulse for the next ``horizon`` frames (row 0 = the newest frame)
  with the weighted mixture of fixed least-squares extrapolation operators (fundamental +
  first harmonic), smoothed over the grid, soft-capped and scaled per channel: the
  ``cancel`` output, in relative units;
- outputs injection maps for the drive (index 0 spoof-hr, 1 erase): the pulse's in-phase
  spatial signature plus the blood-volume colour direction with a per-cell gain from a
  small 2-D CNN.
Everything is linear algebra, softmax and convolutions, so it exports to ONNX.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from privacycam.pulse.colour import BLOOD_VOLUME_BGR

GRID = 8
WINDOW = 96
HORIZON = 24
BINS = 48
CYCLES_PER_FRAME = (0.7 / 30.0, 3.5 / 25.0)


def frequency_operators(window: int, horizon: int, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares operators per candidate frequency (cycles/frame).

    Returns ``fit`` (J, 2, window): cos/sin coefficients of the fundamental, and ``extrap``
    (J, horizon, window): the fitted pulse (both harmonics, no offset/trend) at frames
    0..horizon-1 after the newest (0 = the newest frame itself).
    """
    past = np.arange(window, dtype=np.float64) - (window - 1)
    future = np.arange(horizon, dtype=np.float64)
    fit, extrap = [], []
    for f in freqs:
        def design(t: np.ndarray) -> np.ndarray:
            w = 2 * np.pi * f * t
            return np.stack([np.ones_like(t), t / window, np.cos(w), np.sin(w), np.cos(2 * w), np.sin(2 * w)], 1)

        pinv = np.linalg.pinv(design(past))
        fit.append(pinv[2:4])
        extrap.append(design(future)[:, 2:] @ pinv[2:])
    return np.asarray(fit, np.float32), np.asarray(extrap, np.float32)


class PulseEditorNet(nn.Module):
    """(x (B,T,g,g,4), level (B,3,g,g)) -> cancel (B,H,3,g,g) and inject (B,2,3,g,g) in percent of
    each cell's level, and the selected pulse frequency (B,) in cycles per frame."""

    def __init__(self, grid: int = GRID, window: int = WINDOW, horizon: int = HORIZON, bins: int = BINS) -> None:
        super().__init__()
        self.grid, self.window, self.horizon = grid, window, horizon
        freqs = np.linspace(*CYCLES_PER_FRAME, bins)
        fit, extrap = frequency_operators(window, horizon, freqs)
        self.register_buffer("fit", torch.from_numpy(fit))
        self.register_buffer("extrap", torch.from_numpy(extrap))
        self.register_buffer("freqs", torch.from_numpy(freqs.astype(np.float32)), persistent=False)
        self.register_buffer("pbv", torch.from_numpy(BLOOD_VOLUME_BGR / BLOOD_VOLUME_BGR.max()).view(1, 3, 1, 1))
        self.mix = nn.Linear(3, 4, bias=False)  # colour projections of the skin trace (BGR in)
        with torch.no_grad():
            self.mix.weight.copy_(torch.tensor([[-1.0, 1.0, 0.0], [1.0, 1.0, -2.0], [0.0, 1.0, 0.0], BLOOD_VOLUME_BGR.tolist()]))
        # frequency logits: weighted log-power of the projections (starts as the POS-like
        # periodogram's peak, like the spectral editor) plus a learned correction (starts at 0)
        self.power_weight = nn.Parameter(torch.tensor([0.5, 0.5, 0.0, 0.0]))
        self.selector = nn.Sequential(nn.Conv1d(4, 16, 5, padding=2), nn.GELU(), nn.Conv1d(16, 1, 5, padding=2))
        nn.init.zeros_(self.selector[2].weight)
        nn.init.zeros_(self.selector[2].bias)
        self.sharpness = nn.Parameter(torch.tensor(4.0))
        self.smooth = nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False)
        with torch.no_grad():
            self.smooth.weight.zero_()
            self.smooth.weight[:, 0, 1, 1] = 1.0
        self.cancel_gain = nn.Parameter(torch.ones(3))
        self.cap = nn.Parameter(torch.tensor(1.5))  # percent
        self.inject_net = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.GELU(), nn.Conv2d(16, 2, 1))
        nn.init.zeros_(self.inject_net[2].weight)
        nn.init.zeros_(self.inject_net[2].bias)
        # per mode: (floor along the blood-volume direction in percent, gain on the signature)
        self.inject_scale = nn.Parameter(torch.tensor([[1.2, 3.0], [1.2, 3.0]]))

    def forward(self, x: torch.Tensor, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rel, cover = x[..., :3], x[..., 3]  # percent, (B,T,g,g,3); coverage (B,T,g,g)
        batch, g = x.shape[0], self.grid
        weight = cover.sum(dim=(2, 3)).clamp_min(1e-6)
        trace = (rel * cover.unsqueeze(-1)).sum(dim=(2, 3)) / weight.unsqueeze(-1)  # (B,T,3)
        proj = self.mix(trace)  # (B,T,4)
        coef = torch.einsum("jct,btk->bkjc", self.fit, proj)
        power = torch.log((coef * coef).sum(-1) + 1e-6)  # (B,4,J)
        power = power - power.mean(-1, keepdim=True)
        logits = (self.power_weight.view(1, 4, 1) * power).sum(1) + self.selector(power).squeeze(1)
        select = torch.softmax(logits * self.sharpness, dim=-1)  # (B,J)

        cells = rel.reshape(batch, self.window, g * g * 3)
        extrap = torch.einsum("bj,jht->bht", select, self.extrap)
        forecast = torch.bmm(extrap, cells).reshape(batch * self.horizon, g, g, 3).permute(0, 3, 1, 2)
        forecast = self.smooth(forecast).reshape(batch, self.horizon, 3, g, g)
        cap = F.softplus(self.cap)
        skin = torch.sigmoid((cover.mean(1) - 0.3) * 20.0).unsqueeze(1)  # (B,1,g,g) mostly-skin cells
        cancel = cap * torch.tanh(forecast / cap) * self.cancel_gain.view(1, 1, 3, 1, 1) * skin.unsqueeze(1)

        fit = torch.einsum("bj,jct->bct", select, self.fit)  # (B,2,T)
        cell_coef = torch.bmm(fit, cells).reshape(batch, 2, g, g, 3).permute(0, 1, 4, 2, 3)
        global_coef = torch.bmm(fit, proj[..., 3:4]).reshape(batch, 2, 1, 1, 1)  # along the blood-volume projection
        norm = torch.sqrt((global_coef * global_coef).sum(1) + 1e-6)
        signature = (cell_coef * global_coef).sum(1) / norm  # (B,3,g,g): in-phase pulse amplitude, percent
        signature = cap * torch.tanh(signature / cap)
        # the pattern's sign is arbitrary: make it agree with the blood-volume floor, as the spectral editor does
        signature = signature * torch.where((signature * self.pbv).sum(dim=(1, 2, 3), keepdim=True) < 0, -1.0, 1.0)
        features = torch.cat([signature, skin, level, cover.mean(1).unsqueeze(1) - skin], dim=1)
        # per mode and cell, a learned gain (x e^-2..e^2) of the blood-volume floor; the colour
        # stays the one every estimator reads (a free colour lets CHROM/POS cancel the drive)
        gain = torch.exp(2.0 * torch.tanh(self.inject_net(features))).unsqueeze(2)  # (B,2,1,g,g)
        scale = self.inject_scale.view(1, 2, 2, 1, 1, 1)
        inject = (scale[:, :, 0] * gain * self.pbv.unsqueeze(1) + scale[:, :, 1] * signature.unsqueeze(1)) * skin.unsqueeze(1)
        return cancel, inject, (select * self.freqs).sum(-1)


def window_features(cells: np.ndarray, cover: np.ndarray, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Network inputs from skin-cell colours (T,g,g,3) and coverage (T,g,g), newest last.

    Returns ``x`` (1, window, g, g, 4) and ``level`` (1, 3, g, g). A shorter history (a
    stream's first seconds) is padded at the start with its oldest frame: the network was
    trained on full windows only, and padding with no change and no coverage made it inject
    5-8x fainter until the window filled (measured at a720772).
    """
    cells, cover = cells[-window:], cover[-window:]
    if len(cells) < window:
        oldest_first = np.concatenate([np.zeros(window - len(cells), int), np.arange(len(cells))])
        cells, cover = cells[oldest_first], cover[oldest_first]
    mean = cells.mean(axis=0)
    rel = 100.0 * (cells / np.maximum(mean, 1.0) - 1.0) * (cover[..., None] > 0)
    x = np.concatenate([rel, cover[..., None]], axis=-1)[None].astype(np.float32)
    level = (mean / 255.0).transpose(2, 0, 1)[None].astype(np.float32)
    return x, level
