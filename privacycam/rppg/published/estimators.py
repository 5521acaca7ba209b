"""``open-rppg``'s published models as :class:`~privacycam.rppg.base.Estimator` plugins.

- :class:`PortedEstimator`: a torch port (:mod:`~privacycam.rppg.published.nets`), frozen and
  differentiable (``forward_tensor``), read out exactly as the package reads its networks.
- :class:`PackageEstimator`: the package's own code and model (Keras on JAX), for the families
  that are not ported; the held-out attackers. Slow to start (JAX compiles each model).

Which families are surrogates (ported, usable in optimisation) and which are held out is fixed
here, so every report can split them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from functools import lru_cache

import cv2
import numpy as np
import torch

from privacycam.rppg.base import Estimator
from privacycam.rppg.published.nets import ARCHITECTURES
from privacycam.rppg.published.readout import chunks, from_model_rate, model_rate_indices, read_clip
from privacycam.rppg.published.weights import PublishedModelsMissing, INSTALL_HINT, read_keras_weights, weights_dir, weights_file

DATASETS = ("pure", "rlap")
WEIGHT_FILES = {"physnet": "physnet.{}.weights.h5", "tscan": "TSCAN.{}.weights.h5", "efficientphys": "EfficientPhys.{}.weights.h5"}
PORT_NAMES = tuple(f"{architecture}.{dataset}" for architecture in WEIGHT_FILES for dataset in DATASETS)  # estimator names
# The package's own model names for the families that run through its code (held out).
HELD_OUT_MODELS = ("FacePhys.rlap", "ME-chunk.rlap", "ME-chunk.pure", "PhysFormer.pure", "PhysFormer.rlap",
                   "PhysMamba.pure", "PhysMamba.rlap", "RhythmMamba.pure", "RhythmMamba.rlap")
SURROGATE_FAMILY = "published-surrogate"
HELD_OUT_FAMILY = "published-held-out"


def resize_faces(faces: np.ndarray, size: int) -> np.ndarray:
    """Face crops resized as the package does (OpenCV area interpolation, uint8)."""
    return np.stack([cv2.resize(np.ascontiguousarray(face), (size, size), interpolation=cv2.INTER_AREA) for face in faces])


@lru_cache(maxsize=None)
def load_port(architecture: str, dataset: str) -> torch.nn.Module:
    """A frozen torch port with the installed package's weights for ``dataset`` (pure or rlap)."""
    if architecture not in ARCHITECTURES or dataset not in DATASETS:
        raise ValueError(f"no port {architecture}.{dataset}; ports: {sorted(ARCHITECTURES)} x {DATASETS}")
    model = ARCHITECTURES[architecture]()
    model.load(read_keras_weights(weights_file(WEIGHT_FILES[architecture].format(dataset))))
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


class PortedEstimator(Estimator):
    """A torch port of a published model; ``torch_model()`` for code that backpropagates."""

    family = SURROGATE_FAMILY

    def __init__(self, architecture: str, dataset: str) -> None:
        self._model = load_port(architecture, dataset)
        self.name = f"{architecture}.{dataset}"
        self.size: int = self._model.INPUT_SIZE
        self.chunk: int = self._model.CHUNK
        self.derivative = self._model.output == "derivative"

    def torch_model(self) -> torch.nn.Module:
        """The frozen module: (B, T, S, S, 3) RGB 0-255 at ``size`` -> (B, T) raw output."""
        return self._model

    def forward_tensor(self, faces: torch.Tensor) -> torch.Tensor:
        """Raw output (B, T) for (B, T, H, W, 3) RGB 0-255 crops of any size (area-resized), fed
        to the network in its chunks as the package feeds them (the last padded with its last
        frame, the padding's output cut off); differentiable."""
        b, t, h, w, _ = faces.shape
        if (h, w) != (self.size, self.size):  # the training attacker hands them over at the size already
            frames = faces.reshape(b * t, h, w, 3).permute(0, 3, 1, 2)
            frames = torch.nn.functional.interpolate(frames, size=(self.size, self.size), mode="area")
            faces = frames.permute(0, 2, 3, 1).reshape(b, t, self.size, self.size, 3)
        pieces = []
        for start, stop in chunks(t, self.chunk):
            piece = faces[:, start:stop]
            padded = torch.cat([piece, piece[:, -1:].expand(-1, self.chunk - (stop - start), -1, -1, -1)], dim=1)
            pieces.append(self._model(padded)[:, : stop - start])
        return torch.cat(pieces, dim=1)

    def waveform(self, faces: np.ndarray, fps: float) -> np.ndarray:
        small = resize_faces(np.asarray(faces), self.size)

        def run(chunk: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return self._model(torch.from_numpy(chunk.astype(np.float32))[None])[0].double().numpy()

        return read_clip(small, fps, self.chunk, self.derivative, run)


@lru_cache(maxsize=None)
def _package_model(model_name: str) -> object:
    """The package's ``rppg.Model`` (imports Keras/JAX and compiles the model: seconds to minutes)."""
    try:
        weights_dir()
        os.environ.setdefault("KERAS_BACKEND", "jax")
        logging.getLogger("open-rppg").setLevel(logging.ERROR)
        with contextlib.redirect_stderr(io.StringIO()):
            import rppg  # noqa: PLC0415 - heavy, optional
    except ImportError as exc:
        raise PublishedModelsMissing(f"open-rppg cannot run ({exc}); {INSTALL_HINT}") from exc
    return rppg.Model(model_name)


class PackageEstimator(Estimator):
    """One of the package's models run through the package itself (face crops in, as
    ``Model.process_faces_tensor``; the pulse read as ``Model.bvp(raw=True)``)."""

    family = HELD_OUT_FAMILY

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self.name = model_name.lower().replace("-chunk", "")
        self._model = _package_model(model_name)

    def waveform(self, faces: np.ndarray, fps: float) -> np.ndarray:
        faces = np.ascontiguousarray(np.asarray(faces, np.uint8))
        logging.getLogger("open-rppg").setLevel(logging.ERROR)
        self._model.process_faces_tensor(faces, fps=fps)
        pulse, _ = self._model.bvp(raw=True)
        pulse = np.asarray(pulse, np.float64)
        expected = len(model_rate_indices(len(faces), fps))
        if len(pulse) != expected:
            raise ValueError(f"{self.model_name} returned {len(pulse)} samples for {expected} frames at 30 fps")
        return from_model_rate(pulse, len(faces), fps)
