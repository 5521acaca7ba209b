"""OpenCV's classical face recogniser (LBPH, opencv-contrib ``cv2.face``) on dlib's aligned
chips: it shares nothing with a deep network, so it checks what an edit aimed at dlib does
to a recogniser it never saw."""

from __future__ import annotations

import cv2
import numpy as np

SIDE = 64
# LBPH's accept threshold: the 1 % false-accept point of every original test item against
# the other people of the shared clips and photos (benchmarks/deid_transfer.py)
LBPH_THRESHOLD = 114.0


def classical_input(chip_rgb: np.ndarray) -> np.ndarray:
    """The grey, histogram-equalised 64x64 centre of a 150x150 RGB dlib chip."""
    grey = cv2.cvtColor(chip_rgb[20:130, 20:130], cv2.COLOR_RGB2GRAY)
    return cv2.equalizeHist(cv2.resize(grey, (SIDE, SIDE), interpolation=cv2.INTER_AREA))


def lbph_distance(reference_chip: np.ndarray, probe_chip: np.ndarray) -> float:
    """LBPH's distance (chi-square of local binary pattern histograms) between two RGB chips."""
    model = cv2.face.LBPHFaceRecognizer_create()
    model.train([classical_input(reference_chip)], np.zeros(1, np.int32))
    return float(model.predict(classical_input(probe_chip))[1])
