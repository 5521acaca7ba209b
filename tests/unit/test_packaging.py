"""pyproject.toml installs without setuptools' deprecation warnings (the license is an SPDX string)."""

from __future__ import annotations

import warnings
from pathlib import Path

from setuptools.config.pyprojecttoml import read_configuration

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_pyproject_license_is_an_spdx_expression_and_warns_nothing() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = read_configuration(PYPROJECT)
    assert config["project"]["license"] == "MIT"
    assert not [str(w.message) for w in caught if "license" in str(w.message).lower()]
