"""Defaults of the filter's user-facing settings, importable without torch or OpenCV.

The command line's options and ``--help`` read them, so they live apart from the code that
uses them (:mod:`privacycam.editors.refine`, :mod:`privacycam.stream.pipeline`).
"""

from __future__ import annotations

DEFAULT_MIN_PSNR_DB = 43.0  # PSNR floor of the largest attacker box (whole frames: ~45 dB and up on the shared clips)
ON_FAILURE = ("passthrough", "blur", "freeze")
# Privacy first without stalling the call: see FilterPipeline._failed for the reasoning.
DEFAULT_ON_FAILURE = "freeze"
