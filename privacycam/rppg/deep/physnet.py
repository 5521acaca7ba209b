"""A small PhysNet-style 3D CNN: face clip in, pulse waveform out (Yu et al., BMVC 2019)."""

from __future__ import annotations

import torch
from torch import nn

from privacycam.rppg.deep.preprocess import ac_dc, standardise, to_clip


def _block(c_in: int, c_out: int, kernel: tuple[int, int, int]) -> nn.Sequential:
    padding = tuple(k // 2 for k in kernel)
    return nn.Sequential(nn.Conv3d(c_in, c_out, kernel, padding=padding, bias=False), nn.BatchNorm3d(c_out), nn.ELU())


def _up(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose3d(channels, channels, (4, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0), bias=False),
        nn.BatchNorm3d(channels),
        nn.ELU(),
    )


class PhysNet(nn.Module):
    """Encoder-decoder 3D CNN over (time, height, width).

    ``forward`` takes (B, T, H, W, 3) float RGB pixels (0-255, any H, W; T a multiple of 4
    is fastest, others are padded) and returns the (B, T) pulse waveform. Input is
    area-resized to ``size``, each pixel normalised by its temporal mean (AC/DC) and the
    clip standardised, all differentiably.
    """

    output = "waveform"

    def __init__(self, size: int = 36, width: int = 24) -> None:
        super().__init__()
        self.size = size
        w = width
        self.encoder = nn.Sequential(
            _block(3, w // 2, (1, 5, 5)),
            nn.AvgPool3d((1, 2, 2)),
            _block(w // 2, w, (3, 3, 3)),
            _block(w, w, (3, 3, 3)),
            nn.AvgPool3d((2, 2, 2)),
            _block(w, w, (3, 3, 3)),
            _block(w, w, (3, 3, 3)),
            nn.AvgPool3d((2, 2, 2)),
            _block(w, w, (3, 3, 3)),
            _block(w, w, (3, 3, 3)),
        )
        self.decoder = nn.Sequential(_up(w), _up(w))
        self.head = nn.Conv3d(w, 1, 1)

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        t = faces.shape[1]
        pad = (-t) % 4
        if pad:
            faces = torch.cat([faces, faces[:, -1:].expand(-1, pad, -1, -1, -1)], dim=1)
        x = standardise(ac_dc(to_clip(faces, self.size)))
        x = self.decoder(self.encoder(x))
        x = self.head(x.mean(dim=(3, 4), keepdim=True))
        return x[:, 0, :t, 0, 0]
