"""Where the installed ``open-rppg`` package keeps its weights, and reading them (h5py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from privacycam.errors import PrivacyCamError

PACKAGE = "rppg"  # the import name of the ``open-rppg`` distribution
INSTALL_HINT = "install it with `pip install 'privacycam[attackers]'` (see .ci/install)"


class PublishedModelsMissing(PrivacyCamError):
    """The ``open-rppg`` package (or one of its weight files) is not installed."""


def weights_dir() -> Path:
    """The installed package's ``weights/`` folder, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PublishedModelsMissing(f"the open-rppg package is not installed; {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "weights"


def weights_file(filename: str) -> Path:
    """Path of one weight file of the installed package."""
    path = weights_dir() / filename
    if not path.is_file():
        raise PublishedModelsMissing(f"open-rppg has no weight file {filename} at {path}; {INSTALL_HINT}")
    return path


def read_keras_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a Keras 3 ``.weights.h5`` file as float32, keyed by its path in the file."""
    import h5py

    tensors: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: tensors.__setitem__(name, np.asarray(obj, np.float32)) if isinstance(obj, h5py.Dataset) else None)
    return tensors
