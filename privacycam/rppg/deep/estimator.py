"""Deep rPPG networks as :class:`~privacycam.rppg.base.Estimator` plugins, with chunked inference.

Besides ``waveform`` (numpy in, numpy out) every :class:`DeepEstimator` exposes its torch
module for code that backpropagates through the attacker:

- ``torch_model()`` returns the ``nn.Module`` (eval mode, frozen parameters). Its
  ``forward(faces)`` takes a (B, T, H, W, 3) float tensor of RGB pixels in 0-255 (any H, W)
  and returns (B, T): the pulse waveform (``model.output == "waveform"``, PhysNet) or its
  per-frame derivative (``"derivative"``, TS-CAN).
- ``forward_tensor(faces)`` is ``torch_model()(faces)``, gradients to ``faces`` included;
  :func:`integrate` turns a derivative into a waveform, also differentiably.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from privacycam.errors import PrivacyCamError
from privacycam.shipped import model_file
from privacycam.rppg.base import Estimator
from privacycam.rppg.deep.physnet import PhysNet
from privacycam.rppg.deep.tscan import TSCAN

ARCHITECTURES: dict[str, type[nn.Module]] = {"physnet": PhysNet, "tscan": TSCAN}
CHUNK = 160  # frames per inference chunk
HOP = 80  # chunk start spacing; chunks overlap by CHUNK - HOP and are blended


def build_model(name: str, **options: int) -> nn.Module:
    """A fresh, untrained network of architecture ``name`` ("physnet" or "tscan")."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown deep estimator {name!r}; choose from {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name](**options)


def integrate(derivative: torch.Tensor) -> torch.Tensor:
    """Cumulative sum along the last axis with its least-squares line removed (differentiable)."""
    x = torch.cumsum(derivative, dim=-1)
    t = torch.linspace(-1.0, 1.0, x.shape[-1], dtype=x.dtype, device=x.device)
    slope = (x * t).sum(dim=-1, keepdim=True) / (t * t).sum()
    return x - x.mean(dim=-1, keepdim=True) - slope * t


def chunk_starts(length: int, chunk: int = CHUNK, hop: int = HOP) -> list[int]:
    """Start frames of overlapping chunks covering ``length`` frames (last chunk ends at the end)."""
    if length <= chunk:
        return [0]
    starts = list(range(0, length - chunk + 1, hop))
    if starts[-1] + chunk < length:
        starts.append(length - chunk)
    return starts


def _blend_weights(n: int) -> np.ndarray:
    """Triangular chunk weights, never zero, so every frame gets a weight."""
    ramp = np.minimum(np.arange(1, n + 1), np.arange(n, 0, -1)).astype(np.float64)
    return ramp / ramp.max()


class DeepEstimator(Estimator):
    """A deep rPPG network trained by this project behind the Estimator interface.

    Its family is ``"project"``: trained on clips with injected pulses, it reads injected
    pulses by construction, so reports show it but never count it as an attacker fooled.
    """

    family = "project"

    def __init__(self, name: str, model: nn.Module, chunk: int = CHUNK, hop: int = HOP) -> None:
        self.name = name
        self._model = model.eval()
        for parameter in self._model.parameters():
            parameter.requires_grad_(False)
        self.chunk, self.hop = chunk, hop

    def torch_model(self) -> nn.Module:
        """The frozen torch module (see the module docstring for its input and output)."""
        return self._model

    def forward_tensor(self, faces: torch.Tensor) -> torch.Tensor:
        """Raw network output (B, T) for (B, T, H, W, 3) float RGB pixels 0-255; differentiable."""
        return self._model(faces)

    def waveform(self, faces: np.ndarray, fps: float) -> np.ndarray:
        faces = np.asarray(faces)
        if faces.ndim != 4 or faces.shape[-1] != 3:
            raise ValueError(f"expected (T, H, W, 3) face crops, got shape {faces.shape}")
        n = len(faces)
        total, weight = np.zeros(n), np.zeros(n)
        with torch.inference_mode():
            for start in chunk_starts(n, self.chunk, self.hop):
                stop = min(n, start + self.chunk)
                x = torch.from_numpy(faces[start:stop].astype(np.float32))[None]
                out = self._model(x)[0].double().numpy()
                out = (out - out.mean()) / (out.std() + 1e-9)
                w = _blend_weights(stop - start)
                total[start:stop] += w * out
                weight[start:stop] += w
        blended = total / weight
        if getattr(self._model, "output", "waveform") == "derivative":
            return integrate(torch.from_numpy(blended)).numpy()
        return blended


def save_weights(model: nn.Module, name: str, path: str | Path, options: dict[str, int], meta: dict) -> None:
    """Save a network's weights with what is needed to rebuild it (architecture, options)."""
    torch.save({"architecture": name, "options": options, "state_dict": model.state_dict(), "meta": meta}, path)


def load_model(path: str | Path) -> tuple[str, nn.Module]:
    """Rebuild a saved network: (architecture name, module with the weights)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(checkpoint["architecture"], **checkpoint["options"])
    model.load_state_dict(checkpoint["state_dict"])
    return checkpoint["architecture"], model


def load_estimator(path: str | Path, name: str | None = None) -> DeepEstimator:
    """A DeepEstimator from a weights file written by :func:`save_weights`."""
    architecture, model = load_model(path)
    return DeepEstimator(name or architecture, model)


def shipped_weights(name: str) -> Path:
    """Path of the weights shipped in ``privacycam/models/<name>.pt``."""
    path = model_file(f"{name}.pt")
    if not path.is_file():
        raise PrivacyCamError(f"no shipped weights for {name!r} at {path}; train them with `privacycam train-estimator`")
    return path


def physnet() -> DeepEstimator:
    """The project-trained PhysNet-style 3D CNN (plugin factory)."""
    return load_estimator(shipped_weights("physnet"), "physnet")


def tscan() -> DeepEstimator:
    """The project-trained TS-CAN-style frame-difference network (plugin factory)."""
    return load_estimator(shipped_weights("tscan"), "tscan")
