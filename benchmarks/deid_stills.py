"""Side-by-side stills (original | deidentify) from the videos and photos that
``benchmarks/deid_measure.py`` kept: one frame per clip (the middle one), each photo, scaled
to a small height, tiled into one PNG.

    python benchmarks/deid_stills.py /tmp/deid docs/deidentify-stills.png --clips lp_d3 lp_d12 --photos biden/biden.jpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / "../shared/data").resolve()


def middle_frame(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) // 2)
    ok, image = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"cannot read {path}")
    return image


def pair(original: np.ndarray, changed: np.ndarray, height: int) -> np.ndarray:
    """original | changed, cropped to the central square of the frame, ``height`` px high."""
    side = min(original.shape[:2])
    y0, x0 = (original.shape[0] - side) // 2, (original.shape[1] - side) // 2
    tiles = [cv2.resize(im[y0 : y0 + side, x0 : x0 + side], (height, height), interpolation=cv2.INTER_AREA)
             for im in (original, changed)]
    return np.hstack(tiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kept", type=Path, help="deid_measure.py's --keep folder")
    parser.add_argument("out", type=Path)
    parser.add_argument("--clips", nargs="*", default=[])
    parser.add_argument("--photos", nargs="*", default=[], metavar="PERSON/FILE")
    parser.add_argument("--height", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for clip in args.clips:
        filtered = args.kept / f"{clip}.avi"
        capture = cv2.VideoCapture(str(filtered))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        original = cv2.VideoCapture(str(DATA / "clips" / f"{clip}.mp4"))
        original.set(cv2.CAP_PROP_POS_FRAMES, count // 2)
        rows.append(pair(original.read()[1], middle_frame(filtered), args.height))
    for photo in args.photos:
        person, name = photo.split("/")
        rows.append(pair(cv2.imread(str(DATA / "faces" / person / name)),
                         cv2.imread(str(args.kept / "photos" / person / f"{Path(name).stem}.png")), args.height))
    per_row = 2
    while len(rows) % per_row:
        rows.append(np.zeros_like(rows[0]))
    grid = np.vstack([np.hstack(rows[i : i + per_row]) for i in range(0, len(rows), per_row)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), grid, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {args.out} ({grid.shape[1]}x{grid.shape[0]}, {args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
