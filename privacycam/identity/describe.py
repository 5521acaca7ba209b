"""Frame → face chip → 128-D dlib descriptor, with the MediaPipe face mesh as the detector."""

from __future__ import annotations

import cv2
import numpy as np

from privacycam.face.landmarks import FaceTracker
from privacycam.identity.align import face_chip, five_points_from_mesh
from privacycam.identity.dlib_resnet import face_descriptors


class FaceDescriber:
    """Descriptors of the largest face in successive frames of one stream.

    Landmarks are not smoothed: each frame is judged on its own, as a recogniser would.
    Use one describer per stream (the mesh tracks the face between calls).
    """

    def __init__(self) -> None:
        self._tracker = FaceTracker(smooth=False)

    def close(self) -> None:
        self._tracker.close()

    def __enter__(self) -> "FaceDescriber":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def chip(self, image_bgr: np.ndarray) -> np.ndarray | None:
        """The 150x150 RGB dlib face chip of the largest face, or None without a face."""
        observation = self._tracker.observe(image_bgr)
        if observation is None:
            return None
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        return face_chip(rgb, five_points_from_mesh(observation.landmarks))

    def describe(self, image_bgr: np.ndarray) -> np.ndarray | None:
        """The 128-D descriptor of the largest face, or None without a face."""
        chip = self.chip(image_bgr)
        return None if chip is None else face_descriptors(chip)


def describe_still(image_bgr: np.ndarray) -> np.ndarray | None:
    """Descriptor of the largest face in a still photo (a fresh mesh, no tracking)."""
    with FaceDescriber() as describer:
        return describer.describe(image_bgr)
