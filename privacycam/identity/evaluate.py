"""``eval --identity``: does dlib's face recogniser still match the filtered face to the original?

For every frame (video) or photo (image file, or folders of them paired by relative
path), the descriptor of the filtered face is compared with that of the original face:
Euclidean distance, a match below dlib's threshold of 0.6. A filtered frame in which no
face is found counts as not matched; frames whose original has no face are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from privacycam.identity.describe import FaceDescriber, describe_still
from privacycam.identity.dlib_resnet import MATCH_THRESHOLD
from privacycam.io.sources import VideoFileSource

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


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


def _distance(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    return None if a is None or b is None else float(np.linalg.norm(a - b))


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
        reference = describe_still(_read_image(a))
        if reference is None:
            result.skipped += 1
            continue
        result.labels.append(label)
        result.distances.append(_distance(reference, describe_still(_read_image(b))))


def _evaluate_video(result: IdentityResult, original: Path, filtered: Path, stride: int) -> None:
    with VideoFileSource(original) as src_a, VideoFileSource(filtered) as src_b:
        with FaceDescriber() as desc_a, FaceDescriber() as desc_b:
            for frame_a, frame_b in zip(src_a, src_b):
                if frame_a.index % stride:
                    continue
                reference = desc_a.describe(frame_a.image)
                if reference is None:
                    result.skipped += 1
                    continue
                result.labels.append(str(frame_a.index))
                result.distances.append(_distance(reference, desc_b.describe(frame_b.image)))


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
