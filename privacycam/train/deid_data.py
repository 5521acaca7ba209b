"""Training samples of the de-identification editor: for every face, its canonical crop
(the network's input), its dlib face chip (what the recogniser sees), the affine map from
chip to canonical pixels (to render a canonical edit into the chip) and the face-oval mask
in chip space."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from privacycam.editors.deid_net import CROP
from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import face_mask
from privacycam.identity.chip_ops import CHIP
from privacycam.identity.align import chip_details, chip_to_image, extract_chip, five_points_from_mesh
from privacycam.identity.evaluate import IMAGE_SUFFIXES
from privacycam.io.sources import VideoFileSource



@dataclass
class DeidSamples:
    """Arrays of N faces; ``source[i]`` names the clip or person face ``i`` comes from."""

    crops: np.ndarray  # (N, 64, 64, 3) uint8 BGR canonical crops
    chips: np.ndarray  # (N, 150, 150, 3) uint8 RGB dlib chips
    chip_to_canonical: np.ndarray  # (N, 2, 3) float32
    masks: np.ndarray  # (N, 150, 150) float32 face-oval mask in chip space
    source: np.ndarray  # (N,) str

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **self.__dict__)

    @classmethod
    def load(cls, path: Path) -> DeidSamples:
        with np.load(path) as data:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def face_sample(image_bgr: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, ...]:
    """(crop, chip, chip→canonical affine, chip face mask) of one face."""
    warp = CanonicalWarp.from_landmarks(landmarks, CROP)
    details = chip_details(five_points_from_mesh(landmarks), CHIP)
    chip = extract_chip(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), details)
    to_image = np.vstack([chip_to_image(details), [0, 0, 1]])
    to_canonical = (np.vstack([warp.to_canonical, [0, 0, 1]]) @ to_image)[:2]
    chip_landmarks = cv2.transform(landmarks[None].astype(np.float64), cv2.invertAffineTransform(to_image[:2]))[0]
    mask = face_mask(chip_landmarks.astype(np.float32), (0, 0, CHIP, CHIP), scale=1.0)
    return warp.crop(image_bgr), chip, to_canonical.astype(np.float32), mask


def _clip_faces(path: Path, stride: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    tracker = FaceTracker(smooth=False)
    try:
        with VideoFileSource(path) as source:
            for i, frame in enumerate(source):
                if i % stride == 0 and (face := tracker.observe(frame.image)) is not None:
                    yield frame.image, face.landmarks
    finally:
        tracker.close()


def _photo_faces(folder: Path) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            image = cv2.imread(str(path))
            tracker = FaceTracker(smooth=False)
            face = tracker.observe(image)
            tracker.close()
            if face is not None:
                yield image, face.landmarks


def build_samples(clips: list[Path], people: list[Path], stride: int = 3) -> DeidSamples:
    """Samples from every ``stride``-th frame of ``clips`` and every photo in the ``people`` folders."""
    rows, names = [], []
    for name, faces in [(p.stem, _clip_faces(p, stride)) for p in clips] + [(d.name, _photo_faces(d)) for d in people]:
        for image, landmarks in faces:
            rows.append(face_sample(image, landmarks))
            names.append(name)
    crops, chips, affines, masks = (np.stack(column) for column in zip(*rows))
    return DeidSamples(crops, chips, affines, masks, np.array(names))
