"""Estimator plugins: entry points in the ``privacycam.estimators`` group.

Each entry point maps a name to a zero-argument factory returning an
:class:`~privacycam.rppg.base.Estimator`. Built-ins are registered in ``pyproject.toml``;
third-party packages add their own under the same group.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from privacycam.errors import PrivacyCamError
from privacycam.rppg.base import Estimator

GROUP = "privacycam.estimators"

Factory = Callable[[], Estimator]


class UnknownEstimatorError(PrivacyCamError):
    """An estimator was asked for by a name that no plugin provides (or that failed to load)."""


def available_estimators() -> dict[str, Factory]:
    """Every installed estimator factory by name; plugins that fail to import are skipped with a warning."""
    factories: dict[str, Factory] = {}
    for point in entry_points(group=GROUP):
        try:
            factories[point.name] = point.load()
        except Exception as exc:  # a broken plugin must not take the others down
            warnings.warn(f"estimator plugin {point.name!r} ({point.value}) failed to load: {exc}", RuntimeWarning, stacklevel=2)
    return factories


def load_estimators(names: Sequence[str] | None = None) -> list[Estimator]:
    """Instantiate estimators by name (all available ones when ``names`` is None).

    With ``names=None`` a factory that raises is skipped with a warning; a named estimator
    that is unknown or fails raises :class:`UnknownEstimatorError`.
    """
    factories = available_estimators()
    if names is not None:
        unknown = [name for name in names if name not in factories]
        if unknown:
            raise UnknownEstimatorError(f"unknown estimator(s) {', '.join(unknown)}; available: {', '.join(factories)}")
    estimators: list[Estimator] = []
    for name in names if names is not None else list(factories):
        try:
            estimators.append(factories[name]())
        except Exception as exc:
            if names is not None:
                raise UnknownEstimatorError(f"estimator {name!r} failed to start: {exc}") from exc
            warnings.warn(f"estimator plugin {name!r} failed to start and is skipped: {exc}", RuntimeWarning, stacklevel=2)
    return estimators
