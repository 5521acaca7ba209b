"""``eval --identity``: do face recognisers still match the filtered face to the original?

For every frame (video) or photo (image file, or folders of them paired by relative
path), the filtered face is compared with the original face by each recogniser: dlib's
ResNet (Euclidean descriptor distance, a match below 0.6; the recogniser ``deidentify``
is refined against) and OpenCV's LBPH (chi-square histogram distance, a match below its
1 %-false-accept threshold on the shared identities; never seen by the edit). A filtered
frame in which no face is found counts as not matched; frames whose original has no face
are left out.

Competence, as in the pulse report: on a video, a recogniser counts where it matches the
original to itself one second later (at least ``COMPETENT_SELF_MATCH`` of the frames);
a recogniser that cannot do that says nothing about the filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from privacycam.identity.classical import LBPH_THRESHOLD, lbph_distance
from privacycam.identity.describe import FaceDescriber
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD, face_descriptors
from privacycam.io.sources import VideoFileSource

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
COMPETENT_SELF_MATCH = 0.9
THRESHOLDS = {"dlib": MATCH_THRESHOLD, "lbph": LBPH_THRESHOLD}


@dataclass
class Readings:
    """One recogniser's distances: filtered vs original per item (None: no face in the
    filtered item), and (videos) original vs the original one second earlier."""

    threshold: float
    distances: list[float | None] = field(default_factory=list)
    self_distances: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        found = np.array([d for d in self.distances if d is not None], float)
        own = np.array(self.self_distances, float)
        rate = float((found < self.threshold).sum() / len(self.distances)) if self.distances else None
        self_rate = float((own < self.threshold).mean()) if len(own) else None
        quantiles = {f"p{q}": round(float(np.percentile(found, q)), 4) for q in (5, 25, 50, 75, 95)} if len(found) else {}
        return {
            "threshold": self.threshold,
            "match_rate": None if rate is None else round(rate, 4),
            "distance": {"min": round(float(found.min()), 4), **quantiles} if len(found) else {},
            "self_match_rate": None if self_rate is None else round(self_rate, 4),
            "self_distance_median": round(float(np.median(own)), 4) if len(own) else None,
            "competent": None if self_rate is None else self_rate >= COMPETENT_SELF_MATCH,
        }


@dataclass
class IdentityResult:
    """Per-frame (or per-photo) same-person distances between filtered and original faces.

    ``distances[i]`` is None where the filtered frame shows no face (never a match).
    """

    original: str
    filtered: str
    kind: str  # "video" or "photos"
    labels: list[str] = field(default_factory=list)
    distances: list[float | None] = field(default_factory=list)
    skipped: int = 0  # frames/photos whose original has no face
    threshold: float = MATCH_THRESHOLD
    recognisers: dict[str, Readings] = field(default_factory=lambda: {n: Readings(t) for n, t in THRESHOLDS.items()})

    @property
    def compared(self) -> int:
        return len(self.distances)

    @property
    def found(self) -> np.ndarray:
        return np.array([d for d in self.distances if d is not None], float)

    @property
    def matches(self) -> int:
        return int((self.found < self.threshold).sum())

    @property
    def match_rate(self) -> float:
        return self.matches / self.compared if self.compared else float("nan")

    @property
    def no_face(self) -> int:
        return self.compared - len(self.found)

    def to_json(self) -> dict[str, object]:
        """A JSON-serialisable summary plus the per-item distances."""
        found = self.found

        def stat(fn: object) -> float | None:
            return round(float(fn(found)), 4) if len(found) else None  # type: ignore[operator]

        return {
            "original": self.original,
            "filtered": self.filtered,
            "kind": self.kind,
            "recogniser": "dlib_face_recognition_resnet_model_v1 (torch port)",
            "threshold": self.threshold,
            "compared": self.compared,
            "skipped_no_face_in_original": self.skipped,
            "no_face_in_filtered": self.no_face,
            "matches": self.matches,
            "match_rate": None if not self.compared else round(self.match_rate, 4),
            "distance_mean": stat(np.mean),
            "distance_median": stat(np.median),
            "distance_min": stat(np.min),
            "recognisers": {name: readings.summary() for name, readings in self.recognisers.items()},
            "items": [
                {"label": label, "distance": None if d is None else round(d, 4)}
                for label, d in zip(self.labels, self.distances)
            ],
        }

    def table(self) -> str:
        """A short text summary."""
        s = self.to_json()
        rate = "n/a" if s["match_rate"] is None else f"{100 * float(s['match_rate']):.1f}%"  # type: ignore[arg-type]
        return "\n".join(
            [
                f"identity ({self.kind}): dlib ResNet, match below {self.threshold:g}",
                f"  compared        {self.compared} (original without face: {self.skipped})",
                f"  match rate      {rate} ({self.matches}/{self.compared})",
                f"  no face found   {self.no_face} filtered",
                f"  distance        mean {s['distance_mean']}  median {s['distance_median']}"
                f"  min {s['distance_min']}",
                "  per recogniser (competent: matches the original to itself 1 s later in >= "
                f"{COMPETENT_SELF_MATCH:.0%} of frames)",
                *(_recogniser_line(name, r.summary()) for name, r in self.recognisers.items()),
            ]
        )

    def plot(self, path: str | Path) -> Path:
        """Distance per frame/photo against the match threshold, written as an image."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        video = self.kind == "video"
        x = np.array([int(label) for label in self.labels]) if video else np.arange(self.compared)
        y = np.array([np.nan if d is None else d for d in self.distances], float)
        fig, ax = plt.subplots(figsize=(8, 3.2))
        ax.plot(x, y, ".-" if video else "o", label="filtered vs original")
        missing = np.isnan(y)
        if missing.any():
            ax.plot(x[missing], np.zeros(missing.sum()), "x", color="grey", label="no face in filtered")
        ax.axhline(self.threshold, color="red", ls="--", label=f"match threshold {self.threshold:g}")
        ax.set_xlabel("frame" if video else "photo")
        ax.set_ylabel("descriptor distance")
        ax.set_ylim(0, max(1.0, float(np.nanmax(y, initial=0.0)) * 1.1))
        if not video:
            ax.set_xticks(x, self.labels, rotation=30, ha="right", fontsize=7)
        ax.set_title(f"Identity: match rate {self.match_rate:.0%} ({self.matches}/{self.compared})")
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, dpi=100)
        plt.close(fig)
        return out


def _recogniser_line(name: str, s: dict[str, object]) -> str:
    rate = "n/a" if s["match_rate"] is None else f"{100 * float(s['match_rate']):.1f}%"  # type: ignore[arg-type]
    quartiles = s["distance"]
    spread = f"p5 {quartiles['p5']:.3g} median {quartiles['p50']:.3g} p95 {quartiles['p95']:.3g}" if quartiles else "no face"
    competent = {None: "competence n/a (photos)", True: "competent", False: "NOT competent: not counted"}[s["competent"]]
    self_rate = "" if s["self_match_rate"] is None else f", self-match {100 * float(s['self_match_rate']):.0f}%"
    return f"    {name:<5} match {rate:>6} below {s['threshold']:g}; distance {spread}{self_rate}; {competent}"


class _Chips:
    """Per stream: the dlib chip, descriptor and the original's item one second back."""

    def __init__(self) -> None:
        self._describer = FaceDescriber()

    def close(self) -> None:
        self._describer.close()

    def read(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        chip = self._describer.chip(image)
        return None if chip is None else (chip, face_descriptors(chip))


def _record(result: IdentityResult, label: str, original: tuple[np.ndarray, np.ndarray],
            filtered: tuple[np.ndarray, np.ndarray] | None, earlier: tuple[np.ndarray, np.ndarray] | None) -> None:
    result.labels.append(label)
    dlib = None if filtered is None else float(np.linalg.norm(original[1] - filtered[1]))
    result.distances.append(dlib)
    result.recognisers["dlib"].distances.append(dlib)
    result.recognisers["lbph"].distances.append(None if filtered is None else lbph_distance(original[0], filtered[0]))
    if earlier is not None:
        result.recognisers["dlib"].self_distances.append(float(np.linalg.norm(earlier[1] - original[1])))
        result.recognisers["lbph"].self_distances.append(lbph_distance(earlier[0], original[0]))


def _photo_pairs(original: Path, filtered: Path) -> Iterator[tuple[str, Path, Path]]:
    if original.is_file():
        yield original.name, original, filtered
        return
    for path in sorted(original.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            rel = path.relative_to(original)
            if (filtered / rel).is_file():
                yield rel.as_posix(), path, filtered / rel


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    return image


def _evaluate_photos(result: IdentityResult, original: Path, filtered: Path) -> None:
    for label, a, b in _photo_pairs(original, filtered):
        chips = _Chips()  # a fresh mesh per photo: no tracking between stills
        try:
            reference = chips.read(_read_image(a))
            if reference is None:
                result.skipped += 1
                continue
            chips.close()
            chips = _Chips()
            _record(result, label, reference, chips.read(_read_image(b)), None)
        finally:
            chips.close()


def _evaluate_video(result: IdentityResult, original: Path, filtered: Path, stride: int) -> None:
    chips_a, chips_b = _Chips(), _Chips()
    try:
        with VideoFileSource(original) as src_a, VideoFileSource(filtered) as src_b:
            back = max(1, int(round(src_a.fps / stride)))  # items in one second
            history: list[tuple[np.ndarray, np.ndarray] | None] = []
            for frame_a, frame_b in zip(src_a, src_b):
                if frame_a.index % stride:
                    continue
                reference = chips_a.read(frame_a.image)
                history.append(reference)
                if reference is None:
                    result.skipped += 1
                    continue
                earlier = history[-1 - back] if len(history) > back else None
                _record(result, str(frame_a.index), reference, chips_b.read(frame_b.image), earlier)
    finally:
        chips_a.close()
        chips_b.close()


def evaluate_identity(original_path: str | Path, filtered_path: str | Path, stride: int = 1) -> IdentityResult:
    """Compare faces in ``filtered_path`` with ``original_path``: videos frame by frame
    (every ``stride``-th frame), image files, or folders of images paired by name."""
    original, filtered = Path(original_path), Path(filtered_path)
    for path in (original, filtered):
        if not path.exists():
            raise FileNotFoundError(path)
    photos = original.is_dir() or original.suffix.lower() in IMAGE_SUFFIXES
    result = IdentityResult(str(original), str(filtered), "photos" if photos else "video")
    if photos:
        _evaluate_photos(result, original, filtered)
    else:
        _evaluate_video(result, original, filtered, max(1, stride))
    return result
