"""dlib's 128-D face-embedding ResNet (``dlib_face_recognition_resnet_model_v1``) in torch.

The weights (CC0) are read at run time from the installed ``face_recognition_models``
package with :mod:`privacycam.identity.dlib_format`; nothing is downloaded. Each dlib
``con`` + ``affine`` pair is folded into one convolution. The network is differentiable
with respect to its input, so it can serve as a frozen attacker in training.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from privacycam.identity.dlib_format import DlibFormatError, Layer, read_dlib_net

MATCH_THRESHOLD = 0.6  # dlib's same-person distance threshold
_WEIGHTS = "dlib_face_recognition_resnet_model_v1.dat"


def model_path(name: str = _WEIGHTS) -> Path:
    """Path of a model file inside the installed ``face_recognition_models`` package.

    The package is located without importing it (its ``__init__`` needs pkg_resources).
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "face_recognition_models is not installed (pip install face_recognition_models==0.3.0)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def _folded_conv(con: Layer, affine: Layer) -> nn.Conv2d:
    weight = np.asarray(con.fields["weight"])
    gamma, beta = np.asarray(affine.fields["gamma"]), np.asarray(affine.fields["beta"])
    conv = nn.Conv2d(
        weight.shape[1], weight.shape[0], con.fields["kernel"],  # type: ignore[arg-type]
        stride=con.fields["stride"], padding=con.fields["padding"],  # type: ignore[arg-type]
    )
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(weight * gamma[:, None, None, None]))
        conv.bias.copy_(torch.from_numpy(np.asarray(con.fields["bias"]) * gamma + beta))
    return conv


def _add_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's ``add_prev``: sum over the larger shape, the smaller one zero-padded."""
    c, h, w = (max(x, y) for x, y in zip(a.shape[1:], b.shape[1:]))

    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, c - t.shape[1]))

    return pad(a) + pad(b)


class _Residual(nn.Module):
    def __init__(self, conv1: nn.Conv2d, conv2: nn.Conv2d, downsample: bool) -> None:
        super().__init__()
        self.conv1, self.conv2, self.downsample = conv1, conv2, downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.relu(self.conv1(x)))
        shortcut = F.avg_pool2d(x, 2) if self.downsample else x
        return F.relu(_add_padded(y, shortcut))


class _Layers:
    """Consumes the parsed layer list in order, checking each kind."""

    def __init__(self, layers: list[Layer]) -> None:
        self._layers, self._i = layers, 0

    def peek(self) -> str | None:
        return self._layers[self._i].kind if self._i < len(self._layers) else None

    def take(self, kind: str) -> Layer:
        if self.peek() != kind:
            raise DlibFormatError(f"layer {self._i}: expected {kind}, found {self.peek()}")
        self._i += 1
        return self._layers[self._i - 1]


class DlibFaceResNet(nn.Module):
    """Input: (N, 3, 150, 150) RGB face chips, float 0..255. Output: (N, 128) descriptors."""

    def __init__(self, layers: list[Layer]) -> None:
        super().__init__()
        seq = _Layers(layers)
        inp = seq.take("input_rgb_image_sized")
        self.register_buffer("mean", torch.tensor(inp.fields["mean_rgb"]).view(1, 3, 1, 1))
        self.stem = _folded_conv(seq.take("con_4"), seq.take("affine_"))
        seq.take("relu_")
        pool = seq.take("max_pool_2")
        if pool.fields["kernel"] != (3, 3) or pool.fields["stride"] != (2, 2):
            raise DlibFormatError(f"unexpected stem pooling {pool.fields}")
        blocks = []
        while seq.peek() == "con_4":
            conv1 = _folded_conv(seq.take("con_4"), seq.take("affine_"))
            seq.take("relu_")
            conv2 = _folded_conv(seq.take("con_4"), seq.take("affine_"))
            downsample = seq.peek() == "avg_pool_2"
            if downsample:
                seq.take("avg_pool_2")
            seq.take("add_prev_")
            seq.take("relu_")
            blocks.append(_Residual(conv1, conv2, downsample))
        self.blocks = nn.Sequential(*blocks)
        if seq.take("avg_pool_2").fields["kernel"] != (0, 0):
            raise DlibFormatError("expected a global average pool before the fc layer")
        fc = seq.take("fc_2")
        self.fc = nn.Linear(fc.fields["shape"][1], fc.fields["shape"][0], bias=False)  # type: ignore[index]
        with torch.no_grad():
            self.fc.weight.copy_(torch.from_numpy(np.asarray(fc.fields["weight"])))
        if seq.peek() is not None:
            raise DlibFormatError(f"unexpected trailing layer {seq.peek()}")
        self.eval().requires_grad_(False)

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        x = (chips - self.mean) / 256.0
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2)
        x = self.blocks(x)
        return self.fc(x.mean(dim=(2, 3)))


@lru_cache(maxsize=1)
def load_dlib_resnet(path: str | None = None) -> DlibFaceResNet:
    """The ResNet with weights from ``path`` or the installed ``face_recognition_models``."""
    _, layers = read_dlib_net(path or model_path())
    return DlibFaceResNet(layers)


def face_descriptors(chips_rgb: np.ndarray) -> np.ndarray:
    """128-D descriptors of uint8 RGB chips, shape (150, 150, 3) or (N, 150, 150, 3)."""
    batch = np.asarray(chips_rgb, np.float32)
    single = batch.ndim == 3
    batch = batch[None] if single else batch
    with torch.no_grad():
        out = load_dlib_resnet()(torch.from_numpy(batch).permute(0, 3, 1, 2)).numpy()
    return out[0] if single else out
