"""Published rPPG models trained on real data by other groups (the ``open-rppg`` package).

``open-rppg`` ships 17 pretrained networks (Keras 3, trained on PURE and RLAP) in its wheel.
Two ways to run them as attackers, both reading the weights from the installed package at run
time (none are copied into this repository):

- :mod:`~privacycam.rppg.published.nets`: torch ports of PhysNet, TS-CAN and EfficientPhys,
  differentiable, used as surrogate attackers (gradients flow to the pixels);
- :mod:`~privacycam.rppg.published.package`: the package's own code for every other family
  (FacePhys, ME, PhysFormer, PhysMamba, RhythmMamba), run as it is: held-out attackers.

Install with ``pip install privacycam[attackers]`` (see ``.ci/install`` for the exact steps:
the package's own pins clash with MediaPipe's, so it is installed without them).
"""
