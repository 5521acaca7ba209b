"""A small TS-CAN-style network (Liu et al., NeurIPS 2020): frame differences + attention.

The motion branch sees normalised frame differences and predicts the pulse *derivative*
per frame; the appearance branch sees the standardised frames and produces soft spatial
attention masks that gate the motion features. Temporal shift modules mix neighbouring
frames at no parameter cost.
"""

from __future__ import annotations

import torch
from torch import nn

from privacycam.rppg.deep.preprocess import normalised_difference, standardise, to_clip


def temporal_shift(x: torch.Tensor, t: int, fold_div: int = 4) -> torch.Tensor:
    """Shift 1/fold_div of the channels one frame back and 1/fold_div forward; (B*T, C, H, W)."""
    bt, c, h, w = x.shape
    x = x.view(bt // t, t, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]
    out[:, 1:, fold : 2 * fold] = x[:, :-1, fold : 2 * fold]
    out[:, :, 2 * fold :] = x[:, :, 2 * fold :]
    return out.view(bt, c, h, w)


class _Attention(nn.Module):
    """Soft spatial mask from appearance features, L1-normalised as in DeepPhys."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.sigmoid(self.conv(x))
        h, w = mask.shape[2:]
        return mask * (h * w) / (2.0 * mask.sum(dim=(2, 3), keepdim=True))


class TSCAN(nn.Module):
    """Two-branch 2D CNN with temporal shift and attention.

    ``forward`` takes (B, T, H, W, 3) float RGB pixels (0-255, any H, W, T >= 2) and returns
    the (B, T) pulse derivative; :func:`privacycam.rppg.deep.estimator.integrate` turns it
    into a waveform.
    """

    output = "derivative"

    def __init__(self, size: int = 36, width: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.size = size
        w = width
        act = nn.Tanh
        self.m1, self.m2 = nn.Conv2d(3, w, 3, padding=1), nn.Conv2d(w, w, 3)
        self.a1, self.a2 = nn.Conv2d(3, w, 3, padding=1), nn.Conv2d(w, w, 3)
        self.m3, self.m4 = nn.Conv2d(w, 2 * w, 3, padding=1), nn.Conv2d(2 * w, 2 * w, 3)
        self.a3, self.a4 = nn.Conv2d(w, 2 * w, 3, padding=1), nn.Conv2d(2 * w, 2 * w, 3)
        self.att1, self.att2 = _Attention(w), _Attention(2 * w)
        self.act = act()
        self.pool = nn.AvgPool2d(2)
        self.drop = nn.Dropout(0.25)
        side = ((size - 2) // 2 - 2) // 2
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(2 * w * side * side, hidden), act(), nn.Dropout(0.5))
        self.out = nn.Linear(hidden, 1)

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        b, t = faces.shape[:2]
        x = to_clip(faces, self.size)  # (B, 3, T, S, S)
        motion = standardise(normalised_difference(x))
        appearance = standardise(x)
        flat = lambda v: v.permute(0, 2, 1, 3, 4).reshape(b * t, 3, self.size, self.size)  # noqa: E731
        m, a = flat(motion), flat(appearance)
        m = self.act(self.m1(temporal_shift(m, t)))
        m = self.act(self.m2(temporal_shift(m, t)))
        a = self.act(self.a2(self.act(self.a1(a))))
        m = self.drop(self.pool(m * self.att1(a)))
        a = self.drop(self.pool(a))
        m = self.act(self.m3(temporal_shift(m, t)))
        m = self.act(self.m4(temporal_shift(m, t)))
        a = self.act(self.a4(self.act(self.a3(a))))
        m = self.drop(self.pool(m * self.att2(a)))
        return self.out(self.dense(m)).view(b, t)
