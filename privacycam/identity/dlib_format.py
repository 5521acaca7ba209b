"""Reader for dlib's binary serialization of DNNs (enough for the face-recognition ResNet).

dlib writes a network depth-first from the loss layer: one version number per wrapper
(``add_layer`` 2, ``add_tag_layer``/``add_skip_layer`` 1, the ``add_layer`` over the
input 3), then the input layer, then every computational layer from the input upwards,
each followed by its wrapper's bookkeeping (three bools and cached tensors).
Integers are packed (a control byte holding the sign bit and byte count, then
little-endian bytes), floats are a packed mantissa and exponent, tensor data are raw
little-endian float32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class DlibFormatError(ValueError):
    """The stream is not a dlib network of the expected shape."""


@dataclass
class Layer:
    """One serialized layer: its dlib type tag (e.g. ``con_4``) and its fields."""

    kind: str
    fields: dict[str, object] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self._data):
            raise DlibFormatError("unexpected end of stream")
        chunk = self._data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if size > 8 or control & 0x70:
            raise DlibFormatError(f"bad integer control byte {control:#x} at {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little") if size else 0
        return -value if control & 0x80 else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        return float(np.ldexp(float(mantissa), exponent))

    def bool(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise DlibFormatError(f"bad bool {char!r} at {self.pos - 1}")
        return char == b"1"

    def string(self) -> str:
        return self._take(self.int()).decode("ascii")

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise DlibFormatError(f"unsupported tensor version at {self.pos}")
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        return np.frombuffer(self._take(4 * count), "<f4").reshape(shape).astype(np.float32)

    def alias(self) -> tuple[int, int, int, int]:
        if self.int() != 1:
            raise DlibFormatError(f"unsupported alias_tensor version at {self.pos}")
        return tuple(self.int() for _ in range(4))  # type: ignore[return-value]

    def done(self) -> bool:
        return self.pos == len(self._data)


def _split(params: np.ndarray, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    flat, out, start = params.reshape(-1), [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[start : start + size].reshape(shape))
        start += size
    if start != flat.size:
        raise DlibFormatError(f"parameter count {flat.size} does not match shapes {shapes}")
    return out


def _read_details(r: _Reader) -> Layer:
    kind = r.string()
    f: dict[str, object] = {}
    if kind == "input_rgb_image_sized":
        f["mean_rgb"] = (r.float(), r.float(), r.float())
        f["size"] = (r.int(), r.int())
    elif kind == "con_4":
        params = r.tensor()
        r.int()  # number of filters, repeated in the weight shape
        f["kernel"] = (r.int(), r.int())
        f["stride"] = (r.int(), r.int())
        f["padding"] = (r.int(), r.int())
        weight_shape, bias_shape = r.alias(), r.alias()
        f["weight"], f["bias"] = _split(params, weight_shape, (bias_shape[1],))
        _ = [r.float() for _ in range(4)]  # learning-rate and weight-decay multipliers
    elif kind == "affine_":
        params = r.tensor()
        gamma_shape, beta_shape = r.alias(), r.alias()
        f["gamma"], f["beta"] = _split(params, (gamma_shape[1],), (beta_shape[1],))
        f["mode"] = r.int()
    elif kind in ("max_pool_2", "avg_pool_2"):
        f["kernel"] = (r.int(), r.int())
        f["stride"] = (r.int(), r.int())
        f["padding"] = (r.int(), r.int())
    elif kind == "fc_2":
        outputs, inputs = r.int(), r.int()
        params = r.tensor()
        weight_shape, _bias_shape = r.alias(), r.alias()
        f["bias_mode"] = r.int()
        (weight,) = _split(params, weight_shape[:2])
        f["weight"] = weight.T.copy()  # dlib stores (inputs, outputs)
        f["shape"] = (outputs, inputs)
        _ = [r.float() for _ in range(4)]
    elif kind not in ("relu_", "add_prev_"):
        raise DlibFormatError(f"unsupported dlib layer {kind!r}")
    return Layer(kind, f)


def _read_bookkeeping(r: _Reader, tensors: int) -> None:
    for _ in range(3):
        r.bool()
    for _ in range(tensors):
        r.tensor()


def read_dlib_net(path: str | Path) -> tuple[Layer, list[Layer]]:
    """Parse a serialized dlib network: (loss layer, layers from the input upwards).

    The first layer of the list is the input layer; tags and skips are not listed (the
    caller knows the topology and checks the layer sequence against it).
    """
    r = _Reader(Path(path).read_bytes())
    if r.int() != 1:
        raise DlibFormatError("not a dlib add_loss_layer stream")
    loss_kind = r.string()
    if loss_kind != "loss_metric_2":
        raise DlibFormatError(f"unsupported loss layer {loss_kind!r}")
    loss = Layer(loss_kind, {"margin": r.float(), "distance_threshold": r.float()})
    wrappers = []
    while not wrappers or wrappers[-1] != 3:
        version = r.int()
        if version not in (1, 2, 3):
            raise DlibFormatError(f"unexpected wrapper version {version} at {r.pos}")
        wrappers.append(version)
    layers = [_read_details(r), _read_details(r)]
    _read_bookkeeping(r, tensors=3)
    r.int()  # sample expansion factor of the input-level add_layer
    for _ in range(wrappers.count(2)):
        layers.append(_read_details(r))
        _read_bookkeeping(r, tensors=3)
    if not r.done():
        raise DlibFormatError(f"{len(r._data) - r.pos} trailing bytes")
    return loss, layers
