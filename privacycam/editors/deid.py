"""The de-identification editor: :class:`~privacycam.editors.deid_net.DeidEditorNet` behind
the Editor interface, run by the fastest inference backend available.

The edit is *steady*: each plan starts from the network's edit for the mean canonical crop
of the last second (which averages the pulse out), refined by a few bounded gradient steps on
that second's frames (:mod:`privacycam.editors.deid_refine`) on a 64x64 canonical grid, and
consecutive plans are blended exponentially, so the edit changes far slower than the
0.7–3.5 Hz pulse band and the pulse survives. It
covers the whole face oval (``region = "face"``): eyes, brows and lips carry identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from privacycam.backends import select_backend
from privacycam.backends.export import export_onnx
from privacycam.editors.base import Editor, Plan, Window
from privacycam.editors.deid_net import CROP, DeidEditorNet
from privacycam.editors.deid_refine import IdentityRefiner
from privacycam.errors import PrivacyCamError
from privacycam.shipped import model_file
from privacycam.modes import Mode

MEAN_S = 1.0  # the crop the network sees is the mean over this much history
BLEND = 0.3  # weight of a new plan's edit against the running edit
FIRST_STEPS = 30  # refinement steps of the first plan (~2 s on one core; the face stays concealed meanwhile)
START_SCALE = 1.0  # the network's (universal) edit is scaled by this before refinement
REFINE_ON = "frames"  # the refiner's faces: "mean" (the window's mean crop), "frames" (the last second's crops) or "window"
REFINE_GRID = CROP  # the refined edit's resolution (the network's 16x16 edit is resized to it): canonical pixels
REFINE: dict[str, object] = {}  # IdentityRefiner keyword arguments (see its defaults)


def shipped_model(suffix: str) -> Path:
    """``privacycam/models/deid_editor.<suffix>``."""
    return model_file(f"deid_editor.{suffix}")


def load_net(weights: str | Path | None = None) -> DeidEditorNet:
    """The network with trained weights (default: the shipped ones), in eval mode."""
    path = Path(weights) if weights else shipped_model("pt")
    if not path.is_file():
        raise PrivacyCamError(f"no de-identification weights at {path}; train them with `python -m privacycam.train.deid`")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    net = DeidEditorNet(conditioned=checkpoint["config"].get("conditioned", True))
    net.load_state_dict(checkpoint["state_dict"])
    return net.eval()


def export_model(weights: str | Path, onnx_path: str | Path) -> Path:
    """Export trained weights to ONNX (input ``crop`` (N,3,64,64), output ``edit``; batch dynamic)."""
    example = {"crop": torch.full((1, 3, CROP, CROP), 128.0)}
    axes = {"crop": {0: "batch"}, "edit": {0: "batch"}}
    return export_onnx(load_net(weights), example, onnx_path, dynamic_axes=axes, output_names=["edit"])


@dataclass
class DeidPlan(Plan):
    """One constant edit over the face oval until the next plan."""

    made_at: float
    edit: np.ndarray  # (g, g, 3) BGR grey levels
    region: str = "face"
    pulse_hz: float | None = None

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        return self.edit


class DeidEditor(Editor):
    """Plans steady identity edits: the network's edit refined by ``FIRST_STEPS`` gradient
    steps on the first plan, then ``refine_steps`` per plan on the face in view (0: network only). ``backend`` names the
    network's inference backend; refinement runs in torch."""

    name = "deid"
    min_window_s = 0.0

    def __init__(
        self,
        onnx_path: str | Path | None = None,
        weights: str | Path | None = None,
        backend: str = "auto",
        refine_steps: int = 3,
    ) -> None:
        onnx_path = Path(onnx_path) if onnx_path else shipped_model("onnx")
        if not onnx_path.is_file():
            raise PrivacyCamError(f"no de-identification model at {onnx_path}; train it with `python -m privacycam.train.deid`")
        self._runner = select_backend(onnx_path, lambda: load_net(weights), backend)
        self.backend = self._runner.name
        self._refiner = IdentityRefiner(steps=refine_steps, **REFINE) if refine_steps else None
        self._edit: np.ndarray | None = None

    def edit_for(self, crop_bgr: np.ndarray) -> np.ndarray:
        """The network's (g, g, 3) BGR edit for one (64, 64, 3) canonical crop."""
        x = np.ascontiguousarray(crop_bgr.astype(np.float32).transpose(2, 0, 1)[None])
        (edit,) = self._runner.run({"crop": x})
        return START_SCALE * edit[0].transpose(1, 2, 0).astype(np.float32)

    def plan(self, window: Window, mode: Mode) -> DeidPlan:
        recent = max(1, int(round(MEAN_S * window.fps)))
        crop = window.crops[-recent:].astype(np.float32).mean(axis=0)
        first = self._edit is None
        edit = self.edit_for(crop)
        if self._refiner is not None:
            if first:
                if edit.shape[0] != REFINE_GRID:
                    edit = cv2.resize(edit, (REFINE_GRID, REFINE_GRID), interpolation=cv2.INTER_LINEAR)
                self._refiner.reset(edit)
            faces = {"mean": crop, "frames": window.crops[-recent:], "window": window.crops}[REFINE_ON]
            edit = self._refiner.refine(faces, FIRST_STEPS if first else None)
        self._edit = edit if first else (1 - BLEND) * self._edit + BLEND * edit
        return DeidPlan(float(window.timestamps[-1]), self._edit.astype(np.float32))
