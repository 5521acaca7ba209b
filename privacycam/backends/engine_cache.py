"""The TensorRT engine cache under ``engines/``: one serialized engine per key.

An engine is only valid for the exact ONNX file, GPU model, TensorRT version, precision
and input-shape profile it was built for; :class:`EngineKey` holds all five (plus a digest
of the calibration data for INT8). Each engine ``<stem>-<precision>-<digest>.engine`` has a
JSON sidecar with its key, which is how engines are found again and pruned.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from privacycam.backends.shapes import ShapeRange

PRECISIONS = ("fp16", "int8")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class EngineKey:
    """Everything a built engine depends on."""

    model_sha256: str
    gpu_name: str
    tensorrt_version: str
    precision: str  # "fp16" or "int8"
    shapes: tuple[tuple[str, ShapeRange], ...]  # sorted by input name
    calibration_sha256: str = ""  # INT8 only: digest of the calibration batches

    @classmethod
    def create(
        cls,
        model_sha256: str,
        gpu_name: str,
        tensorrt_version: str,
        precision: str,
        profile: dict[str, ShapeRange],
        calibration_sha256: str = "",
    ) -> EngineKey:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        return cls(model_sha256, gpu_name, tensorrt_version, precision, tuple(sorted(profile.items())), calibration_sha256)

    def digest(self) -> str:
        """A stable 16-hex-digit digest of the whole key."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]

    def profile(self) -> dict[str, ShapeRange]:
        return dict(self.shapes)

    def to_json(self) -> dict:
        data = asdict(self)
        data["shapes"] = {name: [list(r.min), list(r.opt), list(r.max)] for name, r in self.shapes}
        return data

    @classmethod
    def from_json(cls, data: dict) -> EngineKey:
        shapes = {name: ShapeRange(*(tuple(s) for s in ranges)) for name, ranges in data["shapes"].items()}
        fields = {k: v for k, v in data.items() if k != "shapes"}
        return cls(**fields, shapes=tuple(sorted(shapes.items())))


@dataclass(frozen=True)
class CachedEngine:
    path: Path
    key: EngineKey
    built_at: float


class EngineCache:
    """A folder of engines and their key sidecars."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path_for(self, key: EngineKey, model_stem: str) -> Path:
        return self.folder / f"{model_stem}-{key.precision}-{key.digest()}.engine"

    def entries(self) -> list[CachedEngine]:
        """Every engine whose sidecar is readable and whose file exists, newest first."""
        found = []
        for sidecar in self.folder.glob("*.json"):
            engine = sidecar.with_suffix(".engine")
            try:
                data = json.loads(sidecar.read_text())
                entry = CachedEngine(engine, EngineKey.from_json(data["key"]), float(data["built_at"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if engine.is_file() and entry.key.digest() == engine.stem.rsplit("-", 1)[-1]:
                found.append(entry)
        return sorted(found, key=lambda e: e.built_at, reverse=True)

    def lookup(self, key: EngineKey) -> Path | None:
        """The engine built for exactly ``key``, or None."""
        return next((e.path for e in self.entries() if e.key == key), None)

    def find(self, model_sha256: str, gpu_name: str, tensorrt_version: str, precision: str | None = None) -> CachedEngine | None:
        """The newest engine for this model, GPU and TensorRT (any profile; ``precision`` if given)."""
        for entry in self.entries():
            key = entry.key
            if (key.model_sha256, key.gpu_name, key.tensorrt_version) == (model_sha256, gpu_name, tensorrt_version) and (
                precision is None or key.precision == precision
            ):
                return entry
        return None

    def store(self, key: EngineKey, model_stem: str, engine: bytes) -> Path:
        """Write ``engine`` and its sidecar (engine first, so a sidecar never points at nothing)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(key, model_stem)
        _write_atomic(path, engine)
        _write_atomic(path.with_suffix(".json"), json.dumps({"key": key.to_json(), "built_at": time.time()}, indent=2).encode())
        return path

    def prune(self, model_stem: str, keep_model_sha256: str) -> list[Path]:
        """Delete engines of ``model_stem`` built from another version of the model file."""
        removed = []
        for entry in self.entries():
            stem = entry.path.stem.rsplit("-", 2)[0]  # <stem>-<precision>-<digest>
            if stem == model_stem and entry.key.model_sha256 != keep_model_sha256:
                entry.path.unlink(missing_ok=True)
                entry.path.with_suffix(".json").unlink(missing_ok=True)
                removed.append(entry.path)
        return removed


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
