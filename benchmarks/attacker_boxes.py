"""Which region of the face makes an rPPG estimator read the real pulse after filtering?

An estimator reads the spatial mean of a region. PrivacyCam edits only the skin (the face
mesh's skin mask), so in any larger region the edit is diluted by the region's non-skin
share (hair, background, eyes, lips), whose colour the filter leaves as it is. This reads a
filtered clip and its original through four regions of every frame:

- ``skin``: the pipeline's skin mask;
- ``face box``: the bounding box of the face mesh's landmarks (as the pipeline pads it);
- ``eval box``: what ``privacycam eval`` crops (OpenCV's Haar face box, 1.2x, detected
  once per 10-s window);
- ``square``: the square of ``DETECTOR_BOX_SCALE`` x the face box's longer side, the
  largest view refine works against, following the face;
- ``held square``: that square placed on the first frame of each 10-s window and held
  still, as the eval box is (refine's held view, :mod:`privacycam.rppg.held_boxes`).

Landmarks and boxes come from the original frames, so both clips are read through the same
regions. Per region: its mean skin share, and per classical estimator (whole-clip waveform,
10-s windows, hop 1 s, as ``privacycam eval``):

- spoof (``--target``): the share of windows within ±3 bpm of the target on the filtered
  clip / within ±5 bpm of what the same estimator reads on the same region of the original
  / the same for the original with its skin held still (below);
- erase (no ``--target``): |Pearson r| of the filtered clip's band-passed waveform with the
  original's on the same region / the same for the original with its skin held still.

"Skin held still": every frame's skin at the skin's mean colour over the clip, the rest of
the region as it is. What an estimator reads there comes from outside the skin (hair,
background, eyes, lips, motion across the region's edge), which the filter may not change:
an edit of the skin can only out-shout it.

Below the table: how alike the regions' signals are on the original, as the Pearson r of
each region's band-passed green trace with the eval box's.

    .venv/bin/python benchmarks/attacker_boxes.py ../shared/data/clips/lp_d14.mp4 filtered.mkv --target 90
    .venv/bin/python benchmarks/attacker_boxes.py ../shared/data/clips/lp_d14.mp4 erased.mkv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from privacycam.evaluation.metrics import pearson
from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.rppg.heart_rate import bandpass, windowed_heart_rates
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import WINDOW_S, open_video, with_boxes
from privacycam.rppg.views import attacker_views, detector_square, face_box

REGIONS = ("skin", "face box", "eval box", "square", "held square")


def region_traces(original: Path, filtered: Path) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """fps, the (T, R, 3) RGB mean of each region of :data:`REGIONS` in the original and the
    filtered clip, and each region's (T, R) skin share."""
    info, frames_o = open_video(original)
    _, frames_f = open_video(filtered)
    tracker = FaceTracker()
    colours_o, colours_f, shares = [], [], []
    window = max(1, round(WINDOW_S * info.fps))
    order = [0, 1, 3, 2]  # attacker_views' skin, face box, held, square → skin, face box, square, held
    held = None
    try:
        pairs = zip(frames_o, frames_f, strict=True)
        for index, ((frame_o, frame_f), box) in enumerate(with_boxes(pairs, window, image=lambda pair: pair[0])):
            face = tracker.observe(frame_o)
            if face is None:
                raise SystemExit("the face mesh lost the face: this diagnostic needs a face in every frame")
            mesh_box = face_box(face, frame_o.shape)
            mask = skin_mask(face.landmarks, mesh_box)
            if index % window == 0:
                held = detector_square(mesh_box, frame_o.shape)
            x0, y0 = mesh_box[:2]
            inside = mask[max(0, box.y - y0) : max(0, box.y + box.h - y0), max(0, box.x - x0) : max(0, box.x + box.w - x0)]
            for frame, colours in ((frame_o, colours_o), (frame_f, colours_f)):
                views, view_shares = attacker_views(frame, mesh_box, mask, (held,))  # skin, face box, held, square
                views = np.insert(views[order], 2, box.region(frame).mean(axis=(0, 1)), axis=0)  # the eval box third
                colours.append(views[:, ::-1])  # BGR -> RGB
            # the same for both frames
            shares.append(np.insert(view_shares[order], 2, float(inside.sum()) / max(1, box.w * box.h)))
    finally:
        tracker.close()
    return info.fps, np.asarray(colours_o), np.asarray(colours_f), np.asarray(shares)


def skin_held_still(colours: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """(T, R, 3) region colours with the skin (region 0) at its mean colour in every frame: each
    region loses its skin share of the skin's change."""
    skin = colours[:, :1]
    return colours - shares[..., None] * (skin - skin.mean(axis=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original", type=Path)
    parser.add_argument("filtered", type=Path)
    parser.add_argument("--target", type=float, help="the spoof target (bpm); without it the filtered clip is read as erase")
    args = parser.parse_args()
    fps, colours_o, colours_f, shares = region_traces(args.original, args.filtered)
    still = skin_held_still(colours_o, shares)
    estimators = [e for e in load_estimators() if e.family == "classical"]
    if args.target is None:
        what = "erase: |r| with the original's waveform on the same region, filtered / original with its skin held still"
    else:
        what = (f"target {args.target:g} bpm: share of 10-s windows within ±3 bpm of the target / within ±5 bpm of the "
                "original's reading on the same region / the same for the original with its skin held still")
    print(f"{args.filtered.name} vs {args.original.name}, {what}\n")
    print("| region | skin share | " + " | ".join(e.name for e in estimators) + " |")
    print("|" + "---|" * (len(estimators) + 2))
    for index, region in enumerate(REGIONS):
        cells = []
        for estimator in estimators:
            # a region's mean colour per frame is a 1x1 face crop: every trace estimator reads it as it would the crop
            traces = (colours_o, colours_f, still) if index else (colours_o, colours_f)  # the skin held still: a constant
            wave_o, *waves = (estimator.waveform(c[:, index, None, None], fps) for c in traces)
            if args.target is None:
                reference = bandpass(wave_o, fps)
                kept = [abs(pearson(bandpass(wave, fps), reference)) for wave in waves]
                cells.append(" / ".join(f"{r:.2f}" for r in kept))
            else:
                read_o, read_f, *read_still = (windowed_heart_rates(wave, fps)[1] for wave in (wave_o, *waves))
                shares_read = [np.mean(np.abs(read_f - args.target) <= 3)] + [np.mean(np.abs(r - read_o) <= 5) for r in (read_f, *read_still)]
                cells.append(" / ".join(f"{s:.0%}" for s in shares_read))
        print(f"| {region} | {shares[:, index].mean():.2f} | " + " | ".join(cells) + " |")
    eval_green = bandpass(colours_o[:, 2, 1], fps)
    alike = ", ".join(f"{region} {pearson(bandpass(colours_o[:, i, 1], fps), eval_green):+.2f}" for i, region in enumerate(REGIONS))
    print(f"\noriginal, band-passed green trace, Pearson r with the eval box's: {alike}")


if __name__ == "__main__":
    main()
