"""Side-by-side stills at 100 %: the original's face and each filtered video's, same frame, with
the change below each, amplified (so the reader sees what changed where the picture shows none).

    .venv/bin/python benchmarks/mode_stills.py ../shared/data/clips/evm_face.mp4 docs/modes-evm_face.png \
        spoof-hr-120=/tmp/out-120.mkv erase=/tmp/out-erase.mkv --frame 200
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from privacycam.rppg.roi import detect_face

GAIN = 20  # the change is shown at this many times its size, around mid-grey


def frame_at(path: Path, index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, image = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"cannot read frame {index} of {path}")
    return image


def label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("filtered", nargs="+", metavar="LABEL=VIDEO")
    parser.add_argument("--frame", type=int, default=100)
    args = parser.parse_args()
    original = frame_at(args.original, args.frame)
    box = detect_face(original)
    if box is None:
        raise SystemExit(f"no face found in frame {args.frame} of {args.original}")
    top = [label(box.region(original), "original")]
    bottom = [np.full_like(top[0], 255)]
    for item in args.filtered:
        name, path = item.split("=", 1)
        changed = box.region(frame_at(Path(path), args.frame))
        diff = changed.astype(np.int16) - box.region(original).astype(np.int16)
        top.append(label(changed, name))
        bottom.append(label(np.clip(128 + GAIN * diff, 0, 255).astype(np.uint8), f"change x{GAIN}"))
    cv2.imwrite(str(args.out), np.vstack([np.hstack(top), np.hstack(bottom)]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
