"""Training clips in canonical face space: the same crops and skin masks the pipeline plans on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.rppg.roi import open_video


@dataclass(frozen=True)
class CanonicalClip:
    """``crops`` (N, S, S, 3) uint8 BGR, ``masks`` (N, S, S) float32 skin mask, at ``fps``."""

    name: str
    crops: np.ndarray
    masks: np.ndarray
    fps: float


def canonical_clip(path: Path, size: int = 64) -> CanonicalClip:
    """Run the pipeline's face tracker, canonical warp and skin mask over every frame.

    Frames without a face repeat the previous crop (the pipeline would not edit them).
    """
    info, frames = open_video(path)
    tracker = FaceTracker()
    crops, masks = [], []
    try:
        for image in tqdm(frames, total=info.frame_count or None, desc=f"canonical {Path(path).name}", leave=False):
            face = tracker.observe(image)
            if face is None:
                if crops:
                    crops.append(crops[-1])
                    masks.append(masks[-1])
                continue
            warp = CanonicalWarp.from_landmarks(face.landmarks, size)
            canonical_landmarks = cv2.transform(face.landmarks[None], warp.to_canonical)[0]
            crops.append(warp.crop(image))
            masks.append(skin_mask(canonical_landmarks, (0, 0, size, size), scale=1.0).astype(np.float32))
    finally:
        tracker.close()
    if not crops:
        raise ValueError(f"no face found in {path}")
    return CanonicalClip(Path(path).stem, np.stack(crops), np.stack(masks), float(info.fps))


def load_clips(paths: list[Path], cache_dir: Path, size: int = 64) -> list[CanonicalClip]:
    """:func:`canonical_clip` for each path, cached as ``cache_dir/<name>_<size>.npz``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for path in paths:
        cached = cache_dir / f"{Path(path).stem}_{size}.npz"
        if cached.exists():
            data = np.load(cached)
            clips.append(CanonicalClip(Path(path).stem, data["crops"], data["masks"], float(data["fps"])))
            continue
        clip = canonical_clip(Path(path), size)
        np.savez_compressed(cached, crops=clip.crops, masks=clip.masks, fps=clip.fps)
        clips.append(clip)
    return clips
