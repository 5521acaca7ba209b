"""Model input shapes: what an ONNX file declares, and TensorRT optimisation profiles.

A static input (every dimension fixed) gets min = opt = max = its shape. A dynamic axis
(a named or unknown dimension) needs a range: the leading batch axis defaults to 1 (the
live stream runs one window at a time); any other dynamic axis must be given, e.g.
``video=1x3x16x64x64:1x3x32x64x64:1x3x64x64x64`` (min:opt:max) or ``video=1x3x32x64x64``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

Shape = tuple[int, ...]
Dim = int | str  # a fixed size, or the name of a dynamic axis ("?" when unnamed)


@dataclass(frozen=True)
class InputSpec:
    """One model input as the ONNX graph declares it."""

    name: str
    dims: tuple[Dim, ...]
    dtype: np.dtype

    @property
    def is_static(self) -> bool:
        return all(isinstance(d, int) for d in self.dims)


@dataclass(frozen=True)
class ShapeRange:
    """The min / opt / max shapes of one input in an optimisation profile."""

    min: Shape
    opt: Shape
    max: Shape

    @classmethod
    def fixed(cls, shape: Shape) -> ShapeRange:
        return cls(tuple(shape), tuple(shape), tuple(shape))

    def contains(self, shape: Shape) -> bool:
        return len(shape) == len(self.min) and all(lo <= s <= hi for lo, s, hi in zip(self.min, shape, self.max))

    def __str__(self) -> str:
        text = [_format(self.min), _format(self.opt), _format(self.max)]
        return text[0] if len(set(text)) == 1 else ":".join(text)


def _format(shape: Shape) -> str:
    return "x".join(str(s) for s in shape)


def onnx_inputs(path: str | Path) -> list[InputSpec]:
    """The real inputs of an ONNX model (initializers listed as inputs are skipped)."""
    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    specs = []
    for value in graph.input:
        if value.name in weights:
            continue
        tensor = value.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim)
        specs.append(InputSpec(value.name, dims, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type))))
    return specs


def parse_shape_arg(text: str) -> tuple[str, ShapeRange]:
    """``NAME=1x3x32x64x64`` or ``NAME=MIN:OPT:MAX`` → (name, range); ValueError if malformed."""
    name, sep, shapes = text.partition("=")
    parts = shapes.split(":")
    if not sep or not name or len(parts) not in (1, 3):
        raise ValueError(f"bad shape {text!r}: expected NAME=AxBxC or NAME=MIN:OPT:MAX")
    try:
        parsed = [tuple(int(v) for v in part.lower().split("x")) for part in parts]
    except ValueError:
        raise ValueError(f"bad shape {text!r}: dimensions must be integers joined by 'x'") from None
    return name, ShapeRange.fixed(parsed[0]) if len(parsed) == 1 else ShapeRange(*parsed)


def optimisation_profile(inputs: list[InputSpec], given: dict[str, ShapeRange] | None = None) -> dict[str, ShapeRange]:
    """One min/opt/max range per input, from the declared shapes and the ``given`` ranges.

    Raises ValueError when a given range contradicts a fixed dimension, is out of order,
    names an unknown input, or when a dynamic axis other than the batch axis has no range.
    """
    given = dict(given or {})
    unknown = set(given) - {spec.name for spec in inputs}
    if unknown:
        raise ValueError(f"shape given for unknown input(s) {sorted(unknown)}; inputs: {[s.name for s in inputs]}")
    profile = {}
    for spec in inputs:
        if spec.name in given:
            profile[spec.name] = _checked(spec, given[spec.name])
            continue
        dynamic = [axis for axis, d in enumerate(spec.dims) if not isinstance(d, int)]
        if dynamic and dynamic != [0]:
            names = ", ".join(f"axis {a} ({spec.dims[a]})" for a in dynamic)
            raise ValueError(f"input {spec.name!r} has dynamic {names}: give --shape {spec.name}=MIN:OPT:MAX")
        profile[spec.name] = ShapeRange.fixed(tuple(d if isinstance(d, int) else 1 for d in spec.dims))
    return profile


def _checked(spec: InputSpec, shapes: ShapeRange) -> ShapeRange:
    for label, shape in (("min", shapes.min), ("opt", shapes.opt), ("max", shapes.max)):
        if len(shape) != len(spec.dims):
            raise ValueError(f"input {spec.name!r} has {len(spec.dims)} axes, {label} shape {_format(shape)} has {len(shape)}")
        for axis, (size, declared) in enumerate(zip(shape, spec.dims)):
            if isinstance(declared, int) and size != declared:
                raise ValueError(f"input {spec.name!r} axis {axis} is fixed at {declared}, {label} shape says {size}")
    if not all(lo <= mid <= hi for lo, mid, hi in zip(shapes.min, shapes.opt, shapes.max)):
        raise ValueError(f"input {spec.name!r}: need min <= opt <= max on every axis, got {shapes}")
    return shapes


def checked_feeds(feeds: dict[str, np.ndarray], profile: dict[str, ShapeRange], dtypes: dict[str, np.dtype]) -> dict[str, np.ndarray]:
    """``feeds`` as C-contiguous arrays of the input dtypes; ValueError when an input is
    missing or unknown, or its shape is outside the profile's min..max."""
    if set(feeds) != set(profile):
        raise ValueError(f"feeds {sorted(feeds)} do not match the model inputs {sorted(profile)}")
    arrays = {}
    for name, shape_range in profile.items():
        array = np.ascontiguousarray(feeds[name], dtype=dtypes[name])
        if not shape_range.contains(array.shape):
            raise ValueError(f"input {name!r} has shape {_format(array.shape)}, the engine takes {shape_range}")
        arrays[name] = array
    return arrays
