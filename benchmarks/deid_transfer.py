"""Does ``--mode deidentify`` transfer to face recognisers it never saw?

The edit is optimised against dlib's ResNet only. Here three classical recognisers from
opencv-contrib (``cv2.face``: LBPH, Eigenfaces, Fisherfaces — they share nothing with a
deep network) and, for reference, dlib itself used as a closed-set identifier (nearest
mean descriptor) are enrolled on *original* frames/photos of every person and asked who
is in the test frames, original vs filtered, side by side.

- Clip identities (one person per clip in ../shared/data/clips): frames every ``--stride``
  frames; even samples enrol, odd samples test. At most ``--enrol-max`` enrolment frames
  per person, spread evenly.
- Photo identities (../shared/data/faces/<person>): leave one out — each test photo is
  identified by a gallery enrolled without it (the person's other photos + everyone else).
- Faces: the MediaPipe mesh → dlib's aligned 150x150 chip (``privacycam.identity``), found
  independently on the filtered frame (as an attacker would); grey, central 110x110,
  resized to 64x64, histogram-equalised for the classical recognisers.

Reported per recogniser and test set, original vs filtered test items: rank-1
identification rate (the true person is the recogniser's first answer; chance = 1/gallery
size), verification accept rate (distance to the true person's nearest enrolled item below
the threshold: dlib's 0.6; for the classical recognisers, which have no standard threshold,
the 1% false-accept point of every original test item against the other people), and the
median of that distance. Filtered items without a detected face count as neither.

    OMP_NUM_THREADS=1 python benchmarks/deid_transfer.py \\
        --test evm_face=/tmp/evm_deid.mkv --test lp_d20=/tmp/lp_d20_deid.mkv \\
        --photos-filtered /tmp/deid/photos   # <person>/<photo stem>.png, as deid_measure.py writes
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from privacycam.identity.classical import classical_input
from privacycam.identity.describe import FaceDescriber
from privacycam.identity.dlib_resnet import face_descriptors
from privacycam.io.sources import VideoFileSource

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / "../shared/data").resolve()
CLIPS = ("evm_face", "lp_d3", "lp_d6", "lp_d12", "lp_d13", "lp_d14", "lp_d20")


def clip_chips(path: Path, indices: set[int]) -> dict[int, np.ndarray | None]:
    """dlib chips (RGB) of the frames at ``indices`` (None where no face is found)."""
    out: dict[int, np.ndarray | None] = {}
    with VideoFileSource(path) as source, FaceDescriber() as describer:
        for frame in source:
            if frame.index in indices:
                out[frame.index] = describer.chip(frame.image)
            if frame.index >= max(indices):
                break
    return out


def photo_chip(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path))
    with FaceDescriber() as describer:
        return describer.chip(image)


class Gallery:
    """Every recogniser enrolled on the same labelled chips."""

    def __init__(self, chips: list[np.ndarray], labels: list[int]) -> None:
        x = [classical_input(c) for c in chips]
        self.labels = np.asarray(labels, np.int32)
        self.models = {
            "lbph": cv2.face.LBPHFaceRecognizer_create(),
            "eigen": cv2.face.EigenFaceRecognizer_create(num_components=min(80, len(x) - 1)),
            "fisher": cv2.face.FisherFaceRecognizer_create(),
        }
        for model in self.models.values():
            model.train(x, self.labels)
        self.descriptors = face_descriptors(np.stack(chips))

    def scores(self, chip: np.ndarray | None) -> dict[str, dict[int, float]] | None:
        """Per recogniser: the distance to each enrolled person (nearest enrolled item); None without a face."""
        if chip is None:
            return None
        x, out = classical_input(chip), {}
        for name, model in self.models.items():
            collector = cv2.face.StandardCollector_create()
            model.predict_collect(x, collector)
            best: dict[int, float] = {}
            for label, distance in collector.getResults(False):
                best[label] = min(distance, best.get(label, np.inf))
            out[name] = best
        d = np.linalg.norm(self.descriptors - face_descriptors(chip)[None], axis=1)
        out["dlib"] = {int(c): float(d[self.labels == c].min()) for c in np.unique(self.labels)}
        return out


RECOGNISERS = ("lbph", "eigen", "fisher", "dlib")
FAR = 0.01  # classical recognisers have no standard threshold: accept at 1% false-accept rate on originals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="append", default=[], metavar="CLIP=FILTERED", help="a clip and its filtered video")
    parser.add_argument("--photos-filtered", type=Path, help="folder of filtered photos: <person>/<stem>.png")
    parser.add_argument("--stride", type=int, default=3)
    parser.add_argument("--enrol-max", type=int, default=40)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    tests = dict(item.split("=", 1) for item in args.test)
    people = sorted(p.name for p in (DATA / "faces").iterdir() if p.is_dir())
    names = list(CLIPS) + people

    # clip identities: enrolment (even samples) and original/filtered test chips (odd samples)
    enrol: list[tuple[np.ndarray, int]] = []
    test_items: dict[str, list[tuple[np.ndarray | None, np.ndarray | None]]] = {}
    for label, clip in enumerate(CLIPS):
        source = DATA / "clips" / f"{clip}.mp4"
        frames = int(cv2.VideoCapture(str(source)).get(cv2.CAP_PROP_FRAME_COUNT))
        samples = list(range(0, frames, args.stride))
        enrol_idx, test_idx = samples[0::2], samples[1::2]
        enrol_idx = [enrol_idx[i] for i in np.linspace(0, len(enrol_idx) - 1, min(args.enrol_max, len(enrol_idx))).astype(int)]
        wanted = set(enrol_idx) | set(test_idx)
        chips = clip_chips(source, wanted)
        enrol += [(chips[i], label) for i in enrol_idx if chips.get(i) is not None]
        filtered = clip_chips(Path(tests[clip]), set(test_idx)) if clip in tests else {}
        test_items[clip] = [(chips[i], filtered.get(i)) for i in test_idx if chips.get(i) is not None]

    photos = {p: sorted(q for q in (DATA / "faces" / p).iterdir()) for p in people}
    photo_chips = {(p, q.stem): photo_chip(q) for p in people for q in photos[p]}
    # (test set, true label, scores on original, scores on filtered or None when not filtered)
    scored: list[tuple[str, int, dict, dict | None]] = []
    photo_enrol = [(c, len(CLIPS) + people.index(p)) for (p, _), c in photo_chips.items() if c is not None]
    gallery = Gallery([c for c, _ in enrol + photo_enrol], [l for _, l in enrol + photo_enrol])
    for clip, items in test_items.items():
        for original, filtered in items:
            scored.append((clip, CLIPS.index(clip), gallery.scores(original),
                           gallery.scores(filtered) if clip in tests else None))
    for person in people:
        for photo in photos[person]:
            original = photo_chips[(person, photo.stem)]
            if original is None:
                continue
            rest = [(c, len(CLIPS) + people.index(p)) for (p, s), c in photo_chips.items()
                    if c is not None and (p, s) != (person, photo.stem)]
            loo = Gallery([c for c, _ in enrol + rest], [l for _, l in enrol + rest])
            filtered_path = args.photos_filtered / person / f"{photo.stem}.png" if args.photos_filtered else None
            filtered = loo.scores(photo_chip(filtered_path)) if filtered_path and filtered_path.is_file() else None
            scored.append((f"photos:{person}", len(CLIPS) + people.index(person), loo.scores(original),
                           filtered if filtered_path else None))

    # thresholds: dlib's own 0.6; classical ones at FAR on every original test item vs the other people
    thresholds = {"dlib": 0.6}
    for name in RECOGNISERS[:3]:
        impostor = [v for _, label, orig, _ in scored for c, v in orig[name].items() if c != label]
        thresholds[name] = float(np.quantile(impostor, FAR))
    results: dict[str, dict] = {}
    for item, label, orig, filt in scored:
        if filt is None and item not in tests and not (item.startswith("photos:") and args.photos_filtered):
            continue
        tally = results.setdefault(item, {"n": 0, **{r: {k: 0 for k in ("rank1_original", "rank1_filtered",
                                                      "accept_original", "accept_filtered")} for r in RECOGNISERS}})
        tally["n"] += 1
        for name in RECOGNISERS:  # distance to the true person's enrolment, to be read against the threshold
            for kind, scores in (("original", orig), ("filtered", filt)):
                if scores is not None:
                    tally[name].setdefault(f"own_distances_{kind}", []).append(round(scores[name].get(label, np.inf), 4))
        for name in RECOGNISERS:
            for kind, scores in (("original", orig), ("filtered", filt)):
                if scores is None:
                    continue  # no face found in the filtered item: neither identified nor accepted
                own = scores[name].get(label, np.inf)
                tally[name][f"rank1_{kind}"] += int(own <= min(scores[name].values()))
                tally[name][f"accept_{kind}"] += int(own < thresholds[name])

    report = {"gallery": names, "gallery_size": len(names), "enrol_frames_per_clip_max": args.enrol_max,
              "stride": args.stride, "far": FAR, "thresholds": thresholds, "results": results,
              "seconds": round(time.time() - t0, 1)}
    print(f"gallery of {len(names)} people (rank-1 chance {100 / len(names):.0f}%); thresholds: dlib 0.6, "
          f"classical at {100 * FAR:g}% FAR on originals: " + ", ".join(f"{k} {v:.3g}" for k, v in thresholds.items()))
    print("cells: original -> filtered; rank-1 identification | accepted as the person (verification)")
    print(f"{'test set':<22} {'n':>4} " + " ".join(f"{r:>25}" for r in RECOGNISERS))
    for item, tally in results.items():
        n = tally["n"]
        cells = [f"{_pct(tally[r]['rank1_original'], n)}->{_pct(tally[r]['rank1_filtered'], n)} | "
                 f"{_pct(tally[r]['accept_original'], n)}->{_pct(tally[r]['accept_filtered'], n)}" for r in RECOGNISERS]
        print(f"{item:<22} {n:>4} " + " ".join(f"{c:>25}" for c in cells))
        medians = [f"{_median(tally[r], 'original'):.3g}->{_median(tally[r], 'filtered'):.3g}" for r in RECOGNISERS]
        print(f"{'  own distance median':<27} " + " ".join(f"{m:>25}" for m in medians))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def _median(tally: dict, kind: str) -> float:
    values = tally.get(f"own_distances_{kind}", [])
    return float(np.median(values)) if values else float("nan")


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.0f}%" if n else "n/a"


if __name__ == "__main__":
    main()
