"""Project-trained deep rPPG estimators (PhysNet-style 3D CNN, TS-CAN-style frame-difference net).

``physnet()`` and ``tscan()`` load the weights shipped in ``privacycam/models``; see
:mod:`privacycam.rppg.deep.estimator` for the torch-level API used for backpropagation.
"""

from privacycam.rppg.deep.estimator import DeepEstimator, integrate, load_estimator, physnet, tscan

__all__ = ["DeepEstimator", "integrate", "load_estimator", "physnet", "tscan"]
