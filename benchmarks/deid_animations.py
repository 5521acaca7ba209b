"""3-second side-by-side animations (original | deidentify) from the videos that
``benchmarks/deid_measure.py`` kept: one animated WebP per clip, the clip's middle seconds,
cropped to a square around the face (fixed over the animation, so head motion shows as it
is) and played at the clip's own frame rate.

    python benchmarks/deid_animations.py /tmp/deid docs/deidentify --clips lp_d3 lp_d12

writes ``docs/deidentify-lp_d3.webp`` and so on. OpenCV writes animated WebP (it has no GIF
encoder); browsers and GitHub show WebP like a GIF.
"""

from __future__ import annotations

import argparse
from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from privacycam.face.landmarks import FaceTracker
from privacycam.rppg.roi import open_video

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / "../shared/data").resolve()


def face_square(frames: list[np.ndarray], grow: float = 1.5) -> tuple[int, int, int]:
    """(x0, y0, side) of a square holding every frame's face box grown by ``grow``, inside the frame."""
    tracker = FaceTracker(smooth=False)
    boxes = [obs.box for obs in map(tracker.observe, frames) if obs is not None]
    tracker.close()
    if not boxes:
        raise SystemExit("no face in the animated frames")
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    height, width = frames[0].shape[:2]
    side = min(int(grow * max(x1 - x0, y1 - y0)), width, height)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    left = min(max(cx - side // 2, 0), width - side)
    top = min(max(cy - side // 2, 0), height - side)
    return left, top, side


def animate(original: Path, filtered: Path, out: Path, seconds: float, height: int, quality: int) -> int:
    """Write ``out`` (animated WebP, original | filtered); returns its size in bytes."""
    info, after = open_video(filtered)
    length = min(info.frame_count, int(round(seconds * info.fps)))
    start = max(0, (info.frame_count - length) // 2)
    after = list(islice(after, start, start + length))
    before = list(islice(open_video(original)[1], start, start + length))
    if len(before) != len(after) or not after:
        raise SystemExit(f"{original.name}: {len(before)} original and {len(after)} filtered frames from {start}")
    x0, y0, side = face_square(before)
    animation = cv2.Animation()
    animation.frames = [
        np.hstack([cv2.resize(im[y0 : y0 + side, x0 : x0 + side], (height, height), interpolation=cv2.INTER_AREA)
                   for im in pair])
        for pair in zip(before, after)
    ]
    animation.durations = [int(round(1000.0 / info.fps))] * len(after)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwriteanimation(str(out), animation, [cv2.IMWRITE_WEBP_QUALITY, quality]):
        raise SystemExit(f"cannot write {out}")
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kept", type=Path, help="deid_measure.py's --keep folder")
    parser.add_argument("prefix", type=Path, help="output path prefix: PREFIX-CLIP.webp")
    parser.add_argument("--clips", nargs="+", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--height", type=int, default=128)
    parser.add_argument("--quality", type=int, default=75, help="WebP quality, 1-100")
    args = parser.parse_args()
    for clip in args.clips:
        out = args.prefix.parent / f"{args.prefix.name}-{clip}.webp"
        size = animate(DATA / "clips" / f"{clip}.mp4", args.kept / f"{clip}.avi", out, args.seconds, args.height,
                       args.quality)
        print(f"wrote {out} ({size // 1024} KiB)")


if __name__ == "__main__":
    main()
