"""Torch ports of three ``open-rppg`` architectures, loading the package's Keras weights.

Each module takes (B, T, H, W, 3) float RGB pixels in 0-255 at its own input size
(``INPUT_SIZE``) and returns (B, T): the pulse (PhysNet) or its per-frame derivative (TS-CAN,
EfficientPhys), exactly as the package's networks compute them (its ``models.py``), so the
ports read a clip as the package does (checked in ``tests/unit/rppg/test_published_attackers.py``).
Keras conventions carried over: channels-last flattening, BatchNorm epsilon 1e-3, 'same'
padding, and the package's temporal shift (edge frames repeated, not zero-padded).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

KERAS_BN_EPS = 1e-3

Weights = dict[str, np.ndarray]


def _conv_weight(kernel: np.ndarray) -> torch.Tensor:
    """Keras conv kernel (*k, in, out) -> torch (out, in, *k)."""
    axes = kernel.ndim
    return torch.from_numpy(np.ascontiguousarray(np.transpose(kernel, (axes - 1, axes - 2, *range(axes - 2)))))


def _load_conv(conv: nn.Module, weights: Weights, prefix: str) -> None:
    conv.weight.data.copy_(_conv_weight(weights[f"{prefix}/vars/0"]))
    conv.bias.data.copy_(torch.from_numpy(weights[f"{prefix}/vars/1"]))


def _load_bn(bn: nn.modules.batchnorm._BatchNorm, weights: Weights, prefix: str) -> None:
    gamma, beta, mean, var = (torch.from_numpy(weights[f"{prefix}/vars/{i}"]) for i in range(4))
    bn.weight.data.copy_(gamma)
    bn.bias.data.copy_(beta)
    bn.running_mean.data.copy_(mean)
    bn.running_var.data.copy_(var)


def _load_dense(dense: nn.Linear, weights: Weights, prefix: str) -> None:
    dense.weight.data.copy_(torch.from_numpy(np.ascontiguousarray(weights[f"{prefix}/vars/0"].T)))
    dense.bias.data.copy_(torch.from_numpy(weights[f"{prefix}/vars/1"]))


def temporal_shift(x: torch.Tensor, frames: int, segment: int) -> torch.Tensor:
    """The package's TSM on (N, C, H, W) frames: within segments of ``segment`` frames, a third of
    the channels take the next frame's values, a third the previous frame's (edges repeated)."""
    n, c, h, w = x.shape
    x = x.reshape(-1, frames // segment, segment, c, h, w)
    fold = c // 3
    forward = torch.cat([x[:, :, 1:, :fold], x[:, :, -1:, :fold]], dim=2)
    backward = torch.cat([x[:, :, :1, fold : 2 * fold], x[:, :, :-1, fold : 2 * fold]], dim=2)
    return torch.cat([forward, backward, x[:, :, :, 2 * fold :]], dim=3).reshape(n, c, h, w)


def attention_mask(x: torch.Tensor) -> torch.Tensor:
    """Soft attention normalised to a mean of 0.5 over each map."""
    return 0.5 * x / x.mean(dim=(2, 3), keepdim=True)


def _flatten_channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def _standardise(x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    return (x - x.mean(dim=dims, keepdim=True)) / (x.std(dim=dims, keepdim=True, unbiased=False) + 1e-6)


class _Block3d(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: tuple[int, int, int]) -> None:
        padding = tuple(k // 2 for k in kernel)
        super().__init__(nn.Conv3d(cin, cout, kernel, padding=padding), nn.BatchNorm3d(cout, eps=KERAS_BN_EPS), nn.ReLU())

    def load(self, weights: Weights, prefix: str) -> None:
        _load_conv(self[0], weights, f"{prefix}/layers/conv3d")
        _load_bn(self[1], weights, f"{prefix}/layers/batch_normalization")


class _Upsample(nn.Sequential):
    def __init__(self) -> None:
        super().__init__(
            nn.ConvTranspose3d(64, 64, (4, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0)),
            nn.BatchNorm3d(64, eps=KERAS_BN_EPS),
            nn.ELU(),
        )

    def load(self, weights: Weights, prefix: str) -> None:
        kernel = weights[f"{prefix}/layers/conv3d_transpose/vars/0"]  # (*k, out, in): no flip, both are a conv's adjoint
        self[0].weight.data.copy_(torch.from_numpy(np.ascontiguousarray(np.transpose(kernel, (4, 3, 0, 1, 2)))))
        self[0].bias.data.copy_(torch.from_numpy(weights[f"{prefix}/layers/conv3d_transpose/vars/1"]))
        _load_bn(self[1], weights, f"{prefix}/layers/batch_normalization")


class PhysNet(nn.Module):
    """PhysNet (3D CNN, 128 frames of 32x32): outputs the pulse waveform."""

    INPUT_SIZE = 32
    CHUNK = 128
    output = "waveform"

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [_Block3d(3, 16, (1, 5, 5)), _Block3d(16, 32, (3, 3, 3)), _Block3d(32, 64, (3, 3, 3))]
            + [_Block3d(64, 64, (3, 3, 3)) for _ in range(6)]
        )
        self.upsample = nn.ModuleList([_Upsample(), _Upsample()])
        self.head = nn.Conv3d(64, 1, 1)

    def load(self, weights: Weights) -> None:
        for index, block in enumerate(self.blocks):
            block.load(weights, f"ConvBlock{index + 1}")
        self.upsample[0].load(weights, "layers/sequential_9")
        self.upsample[1].load(weights, "layers/sequential_10")
        _load_conv(self.head, weights, "convBlock10")

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        x = _standardise(faces / 255.0, dims=(1, 2, 3)).permute(0, 4, 1, 2, 3)  # (B, 3, T, H, W)
        spatial, spatiotemporal = (lambda t: F.max_pool3d(t, (1, 2, 2))), (lambda t: F.max_pool3d(t, 2))
        after: dict[int, Callable[[torch.Tensor], torch.Tensor]] = {0: spatial, 2: spatiotemporal, 4: spatiotemporal, 6: spatial}
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in after:
                x = after[index](x)
        for upsample in self.upsample:
            x = upsample(x)
        x = self.head(F.avg_pool3d(x, (1, 2, 2)))
        x = x.reshape(x.shape[0], -1)
        return _standardise(_standardise(x, dims=(1,)), dims=(1,))


def _conv2d(cin: int, cout: int, same: bool) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1 if same else 0)


class TSCAN(nn.Module):
    """TS-CAN (160 frames of 36x36): normalised frame differences gated by the mean frame's
    attention; outputs the pulse's per-frame derivative."""

    INPUT_SIZE = 36
    CHUNK = 160
    output = "derivative"

    def __init__(self) -> None:
        super().__init__()
        self.motion1 = nn.ModuleList([_conv2d(3, 32, True), _conv2d(32, 32, False)])
        self.motion2 = nn.ModuleList([_conv2d(32, 64, True), _conv2d(64, 64, False)])
        self.appearance1 = nn.ModuleList([_conv2d(3, 32, True), _conv2d(32, 32, False)])
        self.appearance2 = nn.ModuleList([_conv2d(32, 64, True), _conv2d(64, 64, False)])
        self.attention1, self.attention2 = nn.Conv2d(32, 1, 1), nn.Conv2d(64, 1, 1)
        self.dense1, self.dense2 = nn.Linear(3136, 128), nn.Linear(128, 1)

    def load(self, weights: Weights) -> None:
        for name, pair in (("d1", self.motion1), ("d2", self.motion2), ("g1", self.appearance1), ("g2", self.appearance2)):
            _load_conv(pair[0], weights, f"inner/{name}/layers/conv2d")
            _load_conv(pair[1], weights, f"inner/{name}/layers/conv2d_1")
        _load_conv(self.attention1, weights, "inner/attn1/layers/conv2d")
        _load_conv(self.attention2, weights, "inner/attn2/layers/conv2d")
        _load_dense(self.dense1, weights, "inner/d/layers/dense")
        _load_dense(self.dense2, weights, "inner/d/layers/dense_1")

    def _motion(self, pair: nn.ModuleList, x: torch.Tensor, frames: int) -> torch.Tensor:
        segment = frames // 8
        x = torch.tanh(pair[0](temporal_shift(x, frames, segment)))
        return torch.tanh(pair[1](temporal_shift(x, frames, segment)))

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        b, t = faces.shape[:2]
        x = faces / 255.0
        diff = x[:, 1:] - x[:, :-1]
        diff = _standardise(diff, dims=(2, 3))
        diff = torch.cat([diff, diff[:, -1:]], dim=1)
        d = diff.reshape(b * t, *faces.shape[2:]).permute(0, 3, 1, 2)
        g = x.mean(dim=1).permute(0, 3, 1, 2)  # (B, 3, H, W): the mean frame
        d = self._motion(self.motion1, d, t)
        g = torch.tanh(self.appearance1[1](torch.tanh(self.appearance1[0](g))))
        d = (d.reshape(b, t, *d.shape[1:]) * attention_mask(torch.sigmoid(self.attention1(g)))[:, None]).flatten(0, 1)
        d, g = F.avg_pool2d(d, 2), F.avg_pool2d(g, 2)
        d = self._motion(self.motion2, d, t)
        g = torch.tanh(self.appearance2[1](torch.tanh(self.appearance2[0](g))))
        d = (d.reshape(b, t, *d.shape[1:]) * attention_mask(torch.sigmoid(self.attention2(g)))[:, None]).flatten(0, 1)
        d = F.avg_pool2d(d, 2)
        out = self.dense2(torch.tanh(self.dense1(_flatten_channels_last(d))))
        return out.reshape(b, t)


class EfficientPhys(nn.Module):
    """EfficientPhys (160 frames of 72x72): batch-normalised frame differences, temporal shift,
    self-attention masks; outputs the pulse's per-frame derivative."""

    INPUT_SIZE = 72
    CHUNK = 160
    SEGMENT = 8
    output = "derivative"

    def __init__(self) -> None:
        super().__init__()
        size = self.INPUT_SIZE
        self.norm = nn.BatchNorm1d(size * size, eps=KERAS_BN_EPS)
        self.convs = nn.ModuleList([_conv2d(3, 32, True), _conv2d(32, 32, False), _conv2d(32, 64, True), _conv2d(64, 64, False)])
        self.attention1, self.attention2 = nn.Conv2d(32, 32, 1), nn.Conv2d(64, 64, 1)
        self.dense1, self.dense2 = nn.Linear(16384, 128), nn.Linear(128, 1)

    def load(self, weights: Weights) -> None:
        _load_bn(self.norm, weights, "bn")
        for index, conv in enumerate(self.convs):
            _load_conv(conv, weights, "layers/conv2d" + (f"_{index}" if index else ""))
        _load_conv(self.attention1, weights, "attc1")
        _load_conv(self.attention2, weights, "attc2")
        _load_dense(self.dense1, weights, "dense1")
        _load_dense(self.dense2, weights, "dense2")

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        b, t, h, w, _ = faces.shape
        x = (faces / 255.0).reshape(b * t, h, w, 3)
        x = torch.cat([x[1:] - x[:-1], torch.zeros_like(x[:1])], dim=0)
        x = self.norm(x.reshape(b * t, h * w, 3)).reshape(b * t, h, w, 3).permute(0, 3, 1, 2)
        shift = lambda y: temporal_shift(y, t, self.SEGMENT)  # noqa: E731
        x = torch.tanh(self.convs[0](shift(x)))
        x = torch.tanh(self.convs[1](shift(x)))
        x = F.avg_pool2d(x * attention_mask(torch.sigmoid(self.attention1(x))), 2)
        x = torch.tanh(self.convs[2](shift(x)))
        x = torch.tanh(self.convs[3](shift(x)))
        x = F.avg_pool2d(x * attention_mask(torch.sigmoid(self.attention2(x))), 2)
        out = self.dense2(torch.tanh(self.dense1(_flatten_channels_last(x))))
        return out.reshape(b, t)


ARCHITECTURES: dict[str, type[nn.Module]] = {"physnet": PhysNet, "tscan": TSCAN, "efficientphys": EfficientPhys}
