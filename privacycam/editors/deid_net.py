"""The de-identification network: a canonical face crop in, a smooth low-resolution
additive edit over the canonical square out: a learned face-independent edit plus
(``conditioned``) a face-dependent correction from a small encoder/decoder, bounded by tanh."""

from __future__ import annotations

import torch
from torch import nn

CROP = 64  # canonical crop side (the pipeline's canonical_size)
GRID = 16  # edit resolution over the canonical square
AMPLITUDE = 24.0  # largest edit per pixel and channel, grey levels


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.GroupNorm(4, cout), nn.SiLU())


class DeidEditorNet(nn.Module):
    """(N, 3, 64, 64) BGR crop, 0..255 → (N, 3, 16, 16) BGR edit in grey levels."""

    def __init__(self, width: int = 32, conditioned: bool = True) -> None:
        super().__init__()
        self.base = nn.Parameter(torch.zeros(1, 3, GRID, GRID))  # the face-independent part
        self.conditioned = conditioned  # False: one universal edit for every face, no encoder
        if conditioned:
            self.encode = nn.Sequential(_block(3, width // 2, 2), _block(width // 2, width, 2), _block(width, width, 1))
            self.decode = nn.Sequential(_block(width, width, 1), nn.Conv2d(width, 3, 3, 1, 1))
            nn.init.zeros_(self.decode[-1].weight)
            nn.init.zeros_(self.decode[-1].bias)

    def forward(self, crop: torch.Tensor) -> torch.Tensor:
        if not self.conditioned:
            return AMPLITUDE * torch.tanh(self.base + 0.0 * crop[:, :1, :GRID, :GRID])  # keeps the batch axis
        return AMPLITUDE * torch.tanh(self.base + self.decode(self.encode(crop / 127.5 - 1.0)))
