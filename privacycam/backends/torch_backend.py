"""The reference backend: the model's own torch module, on CPU."""

from __future__ import annotations

import numpy as np
import torch

from privacycam.backends.base import InferenceBackend, BackendRequest, register_backend
from privacycam.backends.shapes import onnx_inputs
from privacycam.errors import PrivacyCamError


class TorchBackend(InferenceBackend):
    """Calls ``module(*inputs)`` with the feeds in ``input_names`` order, under inference mode."""

    name = "torch"

    def __init__(self, module: torch.nn.Module, input_names: list[str]) -> None:
        self._module = module.eval()
        self._input_names = list(input_names)

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        with torch.inference_mode():
            outputs = self._module(*(torch.from_numpy(np.ascontiguousarray(feeds[n])) for n in self._input_names))
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        return [out.numpy() for out in outputs]


def _factory(request: BackendRequest) -> TorchBackend:
    if request.torch_module_factory is None:
        raise PrivacyCamError("the torch backend needs the model's torch module, and none was given")
    return TorchBackend(request.torch_module_factory(), [spec.name for spec in onnx_inputs(request.onnx_path)])


register_backend("torch", _factory)
