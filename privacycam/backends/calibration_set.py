"""Make INT8 calibration batches from face videos through the project's face pipeline.

Each sample is one window of ``window`` consecutive canonical face crops (and their
canonical skin masks), turned into model inputs by ``to_feeds``; samples are written to
``out_dir`` as ``calib_0000.npz``, … (the format :mod:`privacycam.backends.calibrator` reads).
A window only spans frames where a face was found. Usage::

    python -m privacycam.backends.calibration_set ../shared/data/clips/*.mp4 --out calibration/
"""

from __future__ import annotations

import argparse
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from privacycam.errors import VideoInputError
from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask

FeedMaker = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]


def window_feeds(crops: np.ndarray, masks: np.ndarray) -> dict[str, np.ndarray]:
    """Default model inputs of one window: ``video`` (1, 3, T, S, S) float32 in [0, 1], channels
    as the pipeline holds them (BGR), and ``mask`` (1, 1, T, S, S). Pass the editor model's own
    preprocessing as ``to_feeds`` when its inputs differ."""
    video = crops.astype(np.float32).transpose(3, 0, 1, 2)[None] / 255.0
    return {"video": video, "mask": masks.astype(np.float32)[None, None]}


def make_calibration_set(
    clips: Iterable[str | Path],
    out_dir: str | Path,
    window: int = 32,
    stride: int = 32,
    size: int = 64,
    samples_per_file: int = 8,
    max_samples: int | None = None,
    to_feeds: FeedMaker = window_feeds,
) -> list[Path]:
    """Write calibration samples (every ``stride`` frames, once ``window`` crops are buffered)
    from ``clips`` into ``out_dir``; the written files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pending: list[dict[str, np.ndarray]] = []
    total = 0

    def flush() -> None:
        if pending:
            path = out_dir / f"calib_{len(written):04d}.npz"
            np.savez(path, **{name: np.concatenate([s[name] for s in pending]) for name in pending[0]})
            written.append(path)
            pending.clear()

    tracker = FaceTracker(max_faces=1)
    try:
        for clip in clips:
            for crops, masks in _windows(tracker, Path(clip), window, stride, size):
                pending.append(to_feeds(crops, masks))
                total += 1
                if len(pending) == samples_per_file:
                    flush()
                if max_samples is not None and total >= max_samples:
                    flush()
                    return written
        flush()
    finally:
        tracker.close()
    return written


def _windows(tracker: FaceTracker, clip: Path, window: int, stride: int, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(crops (T, S, S, 3) uint8, masks (T, S, S) float32) windows of one clip."""
    capture = cv2.VideoCapture(str(clip))
    if not capture.isOpened():
        raise VideoInputError(f"cannot open video {clip}")
    tracker.reset()
    crops: deque[np.ndarray] = deque(maxlen=window)
    masks: deque[np.ndarray] = deque(maxlen=window)
    since_last = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            face = tracker.observe(frame)
            try:
                warp = None if face is None else CanonicalWarp.from_landmarks(face.landmarks, size)
            except ValueError:
                warp = None
            if warp is None:  # windows never span a lost face
                crops.clear()
                masks.clear()
                since_last = 0
                continue
            canonical = cv2.transform(face.landmarks[None], warp.to_canonical)[0]
            crops.append(warp.crop(frame))
            masks.append(skin_mask(canonical, (0, 0, size, size), scale=1.0))
            since_last += 1
            if len(crops) == window and since_last >= stride:
                since_last = 0
                yield np.stack(crops), np.stack(masks)
    finally:
        capture.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make INT8 calibration batches from face videos")
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("calibration"))
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--stride", type=int, default=32)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--max-samples", type=int)
    args = parser.parse_args(argv)
    files = make_calibration_set(args.clips, args.out, args.window, args.stride, args.size, max_samples=args.max_samples)
    print(f"wrote {len(files)} file(s) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
