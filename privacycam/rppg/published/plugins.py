"""Plugin factories (``privacycam.estimators`` entry points) for the ported published models."""

from __future__ import annotations

from privacycam.rppg.published.estimators import PortedEstimator


def physnet_pure() -> PortedEstimator:
    """PhysNet trained on PURE (open-rppg weights)."""
    return PortedEstimator("physnet", "pure")


def physnet_rlap() -> PortedEstimator:
    """PhysNet trained on RLAP (open-rppg weights)."""
    return PortedEstimator("physnet", "rlap")


def tscan_pure() -> PortedEstimator:
    """TS-CAN trained on PURE (open-rppg weights)."""
    return PortedEstimator("tscan", "pure")


def tscan_rlap() -> PortedEstimator:
    """TS-CAN trained on RLAP (open-rppg weights)."""
    return PortedEstimator("tscan", "rlap")


def efficientphys_pure() -> PortedEstimator:
    """EfficientPhys trained on PURE (open-rppg weights)."""
    return PortedEstimator("efficientphys", "pure")


def efficientphys_rlap() -> PortedEstimator:
    """EfficientPhys trained on RLAP (open-rppg weights)."""
    return PortedEstimator("efficientphys", "rlap")
