"""Write dlib's own face chips and descriptors for the shared photos to a JSON reference.

Needs dlib (``pip install dlib-bin==20.0.1.post1``, a dev-only dependency). The tests check
the torch port (``privacycam.identity``) against this file without dlib:

    python benchmarks/dlib_face_reference.py [--data ../shared/data] [--out tests/data/dlib_face_reference.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import cv2
import dlib
import numpy as np

from privacycam.identity.dlib_resnet import model_path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "dlib_face_reference.json")
    args = parser.parse_args()

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(model_path("shape_predictor_5_face_landmarks.dat")))
    recogniser = dlib.face_recognition_model_v1(str(model_path()))
    photos = []
    for path in sorted((args.data / "faces").glob("*/*")):
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        faces = detector(rgb, 1)
        if len(faces) != 1:
            print(f"skip {path}: {len(faces)} faces")
            continue
        shape = predictor(rgb, faces[0])
        chip = np.ascontiguousarray(dlib.get_face_chip(rgb, shape, 150, 0.25))
        photos.append(
            {
                "path": path.relative_to(args.data).as_posix(),
                "person": path.parent.name,
                "points5": [[p.x, p.y] for p in shape.parts()],
                "chip_sha256": hashlib.sha256(chip.tobytes()).hexdigest(),
                "descriptor": [float(f"{v:.8g}") for v in recogniser.compute_face_descriptor(rgb, shape)],
            }
        )
    reference = {
        "generator": "benchmarks/dlib_face_reference.py",
        "dlib_version": dlib.__version__,
        "chip": {"size": 150, "padding": 0.25},
        "photos": photos,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {len(photos)} photos to {args.out}")


if __name__ == "__main__":
    main()
