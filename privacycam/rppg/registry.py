"""Estimator plugins: entry points in the ``privacycam.estimators`` group.

Each entry point maps a name to a zero-argument factory returning an
:class:`~privacycam.rppg.base.Estimator`. Built-ins are registered in ``pyproject.toml``;
third-party packages add their own under the same group.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint, entry_points

from privacycam.errors import PrivacyCamError
from privacycam.rppg.base import Estimator

GROUP = "privacycam.estimators"

Factory = Callable[[], Estimator]


class UnknownEstimatorError(PrivacyCamError):
    """An estimator was asked for by a name that no plugin provides (or that failed to load)."""


def _load(point: EntryPoint) -> Factory | None:
    """The entry point's factory, or None with a warning when its module fails to import."""
    try:
        return point.load()
    except Exception as exc:  # a broken plugin must not take the others down
        warnings.warn(f"estimator plugin {point.name!r} ({point.value}) failed to load: {exc}", RuntimeWarning, stacklevel=3)
        return None


def available_estimators() -> dict[str, Factory]:
    """Every installed estimator factory by name; plugins that fail to import are skipped with a warning."""
    factories = {point.name: _load(point) for point in entry_points(group=GROUP)}
    return {name: factory for name, factory in factories.items() if factory is not None}


def load_estimators(names: Sequence[str] | None = None) -> list[Estimator]:
    """Instantiate estimators by name (all available ones when ``names`` is None).

    With ``names=None`` a plugin that fails to import or start is skipped with a warning; a
    named estimator that is unknown or fails raises :class:`UnknownEstimatorError`.
    Only the named plugins are imported.
    """
    if names is None:
        factories = available_estimators()
    else:
        points = {point.name: point for point in entry_points(group=GROUP)}
        unknown = [name for name in names if name not in points]
        if unknown:
            raise UnknownEstimatorError(f"unknown estimator(s) {', '.join(unknown)}; available: {', '.join(sorted(points))}")
        factories = {name: _load(points[name]) for name in names}
    estimators: list[Estimator] = []
    for name, factory in factories.items():
        try:
            if factory is None:
                raise ImportError("its module failed to import")
            estimators.append(factory())
        except Exception as exc:
            if names is not None:
                raise UnknownEstimatorError(f"estimator {name!r} failed to load: {exc}") from exc
            warnings.warn(f"estimator plugin {name!r} failed to start and is skipped: {exc}", RuntimeWarning, stacklevel=2)
    return estimators
