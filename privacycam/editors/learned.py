"""The learned pulse editor: :class:`~privacycam.editors.pulse_net.PulseEditorNet` behind the
Editor interface, run by the fastest inference backend available (ONNX Runtime on CPU here)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from privacycam.backends import select_backend
from privacycam.backends.export import export_onnx
from privacycam.editors.base import Editor, Plan, Window
from privacycam.editors.pulse_net import GRID, WINDOW, PulseEditorNet, window_features
from privacycam.errors import PrivacyCamError
from privacycam.shipped import model_file
from privacycam.modes import Mode

INPUTS = ("x", "level")
OUTPUTS = ["cancel", "inject", "cycles_per_frame"]


def shipped_model(suffix: str) -> Path:
    """``privacycam/models/pulse_editor.<suffix>``."""
    return model_file(f"pulse_editor.{suffix}")


def load_net(weights: str | Path | None = None) -> PulseEditorNet:
    """The network with trained weights (default: the shipped ones), in eval mode."""
    path = Path(weights) if weights else shipped_model("pt")
    if not path.is_file():
        raise PrivacyCamError(f"no pulse-editor weights at {path}; train them with `privacycam train`")
    net = PulseEditorNet()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["state_dict"])
    return net.eval()


def example_feeds(batch: int = 1) -> dict[str, np.ndarray]:
    """Inputs of the right shapes (a plausible window: small colour changes, full coverage)."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 0.5, (batch, WINDOW, GRID, GRID, 4)).astype(np.float32)
    x[..., 3] = rng.uniform(0.0, 1.0, (batch, 1, GRID, GRID))
    return {"x": x, "level": rng.uniform(0.2, 0.9, (batch, 3, GRID, GRID)).astype(np.float32)}


def export_model(weights: str | Path, onnx_path: str | Path) -> Path:
    """Export trained weights to ONNX (batch axis dynamic)."""
    feeds = {name: torch.from_numpy(value) for name, value in example_feeds().items()}
    axes = {name: {0: "batch"} for name in (*INPUTS, *OUTPUTS)}
    return export_onnx(load_net(weights), feeds, onnx_path, dynamic_axes=axes, output_names=OUTPUTS)


@dataclass
class LearnedPlan(Plan):
    """Cancel the forecast pulse (one map per coming frame), inject ``drive`` x map."""

    made_at: float
    fps: float
    cancel: np.ndarray  # (H, g, g, 3) grey levels, row 0 = the newest frame of the window
    inject: np.ndarray  # (g, g, 3) grey levels per unit drive
    pulse_hz: float | None = None

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        edit = drive * self.inject
        age = max(0, int(round((timestamp - self.made_at) * self.fps)))
        if age < len(self.cancel):
            edit = edit - self.cancel[age]
        return edit.astype(np.float32)

    def louder(self, gain: float) -> LearnedPlan:
        return replace(self, inject=(self.inject * gain).astype(np.float32))


class LearnedEditor(Editor):
    """Plans with the trained network; ``backend`` names the inference backend in use.
    ``inject_gain`` scales the network's injection (1: as trained; louder: the refine-off
    baseline at a refined run's PSNR, ``benchmarks/editor_comparison.py``'s ``learned*k``)."""

    name = "learned"

    def __init__(
        self,
        onnx_path: str | Path | None = None,
        weights: str | Path | None = None,
        backend: str = "auto",
        inject_gain: float = 1.0,
    ) -> None:
        self.inject_gain = inject_gain
        onnx_path = Path(onnx_path) if onnx_path else shipped_model("onnx")
        if not onnx_path.is_file():
            raise PrivacyCamError(f"no pulse-editor model at {onnx_path}; train it with `privacycam train`")
        self._runner = select_backend(onnx_path, lambda: load_net(weights), backend)
        self.backend = self._runner.name

    def plan(self, window: Window, mode: Mode) -> LearnedPlan:
        cells, cover = window.cell_means(GRID)
        x, level = window_features(cells, cover)
        cancel, inject, cycles = self._runner.run({"x": x, "level": level})
        grey = 0.01 * np.maximum(cells[-WINDOW:].mean(axis=0), 1.0)  # percent -> grey levels, (g, g, 3)
        fps = window.fps
        made_at = float(window.timestamps[-1])
        if not mode.edits_pulse:
            zeros = np.zeros_like(grey, np.float32)
            return LearnedPlan(made_at, fps, zeros[None], zeros)
        pulse_hz = float(cycles[0]) * fps if len(cells) >= WINDOW // 2 else None
        return LearnedPlan(
            made_at,
            fps,
            (cancel[0].transpose(0, 2, 3, 1) * grey).astype(np.float32),
            (inject[0, 1 if mode.erase else 0].transpose(1, 2, 0) * grey * self.inject_gain).astype(np.float32),
            pulse_hz,
        )
