"""Plugin factories (``privacycam.estimators`` entry points) for the ported published models:
``<architecture>_<dataset>`` builds that port with the weights trained on that dataset."""

from __future__ import annotations

from functools import partial

from privacycam.rppg.published.estimators import PortedEstimator

physnet_pure = partial(PortedEstimator, "physnet", "pure")
physnet_rlap = partial(PortedEstimator, "physnet", "rlap")
tscan_pure = partial(PortedEstimator, "tscan", "pure")
tscan_rlap = partial(PortedEstimator, "tscan", "rlap")
efficientphys_pure = partial(PortedEstimator, "efficientphys", "pure")
efficientphys_rlap = partial(PortedEstimator, "efficientphys", "rlap")
