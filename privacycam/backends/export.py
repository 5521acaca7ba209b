"""torch → ONNX export and the ONNX Runtime vs torch parity check.

Uses the TorchScript exporter (``dynamo=False``): with torch 2.13 it exports Conv3d /
Conv2d / ConvTranspose3d / Linear nets at the requested opset in under a second and
honours ``dynamic_axes``. The dynamo exporter also works but takes ~4 s, forces opset 18
and prints pages of progress. torch warns that the TorchScript exporter will be removed;
that warning is silenced here and the choice must be revisited on a torch upgrade.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch

from privacycam.backends.ort_backend import OnnxRuntimeBackend
from privacycam.backends.torch_backend import TorchBackend


def export_onnx(
    module: torch.nn.Module,
    example_inputs: dict[str, torch.Tensor],
    path: str | Path,
    dynamic_axes: dict[str, dict[int, str]] | None = None,
    opset: int = 17,
    output_names: list[str] | None = None,
) -> Path:
    """Export ``module`` (called as ``module(*example_inputs.values())``) to ``path`` and
    validate it with ``onnx.checker``. Input names are the keys of ``example_inputs``;
    ``dynamic_axes`` maps an input or output name to ``{axis: axis_name}``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = module.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", message=".*will be removed.*", category=DeprecationWarning)
        torch.onnx.export(
            module,
            tuple(example_inputs.values()),
            str(path),
            input_names=list(example_inputs),
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return path


@dataclass(frozen=True)
class Parity:
    """Largest absolute difference per output between ONNX Runtime and torch."""

    max_abs_diff: list[float]
    tolerance: float

    @property
    def ok(self) -> bool:
        return all(diff <= self.tolerance for diff in self.max_abs_diff)


def check_parity(
    module: torch.nn.Module, onnx_path: str | Path, feeds: dict[str, np.ndarray], tolerance: float = 1e-4
) -> Parity:
    """Run ``feeds`` (in the module's argument order) through ``module`` (torch) and
    ``onnx_path`` (ONNX Runtime CPU) and compare every output."""
    reference = TorchBackend(module, list(feeds)).run(feeds)
    candidate = OnnxRuntimeBackend(onnx_path).run(feeds)
    if len(reference) != len(candidate):
        raise ValueError(f"torch gives {len(reference)} outputs, ONNX Runtime {len(candidate)}")
    diffs = [float(np.max(np.abs(r.astype(np.float64) - c.astype(np.float64)))) for r, c in zip(reference, candidate)]
    return Parity(diffs, tolerance)
