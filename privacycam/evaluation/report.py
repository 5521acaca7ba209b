"""Before/after evaluation of a filtered video against its original (what an attacker reads).

:func:`evaluate` reads both videos in lockstep, finds the face on the ORIGINAL only (one box
per 10-s window, used for both clips: the attacker's view), runs every estimator on both
sets of face crops and measures pulse control, erasure and fidelity. :class:`EvalResult`
renders as a terminal table and as JSON; plots live in :mod:`privacycam.evaluation.plots`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from privacycam.errors import VideoInputError
from privacycam.evaluation import metrics
from privacycam.rppg.base import Estimator
from privacycam.rppg.heart_rate import bandpass, heart_rate, snr_at, windowed_heart_rates
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import CROP_SIZE, WINDOW_S, Box, VideoInfo, crop, open_video, with_boxes
from privacycam.torch_threads import all_cores

TARGET_TOLERANCE_BPM = 3.0
ORIGINAL_TOLERANCE_BPM = 5.0
COMPETENCE_BPM = 6.0  # an attacker counts only where it reads the original within this of the consensus
ON_TARGET_SHARE = 0.9  # spoof: an attacker reads the target when this share of its windows is within ±3 bpm
ERASED_MAX_R = 0.2  # erase: an attacker lost the pulse at |r| <= this with the original waveform ...
ERASED_MAX_SHARE = 0.15  # ... and at most this share of its windows within ±5 bpm of the original
NOT_COUNTED_FAMILIES = ("project",)  # trained on injected pulses: they read injected pulses by construction
LEGEND = (
    "HR orig/filt: whole-clip heart rate (bpm) on the original/filtered clip; r: Pearson correlation of the "
    "band-passed waveforms (filtered vs original); SNR@orig: filtered waveform's power at the original HR "
    "vs the rest of the band; ±5 orig: share of windows within ±5 bpm of the original's; "
)
SPOOF_LEGEND = "MAE→T: mean |HR - target T| over windows; ±3 target: share of windows within ±3 bpm of the target; "
COUNTED_LEGEND = (
    f"counted: competent (reads the original within {COMPETENCE_BPM:g} bpm of the classical consensus) and "
    "not trained by this project on injected pulses; fooled: "
)
SSIM_FRAMES = 30  # default: SSIM (slow) is averaged over this many evenly spaced frames; PSNR uses all


@dataclass
class EstimatorEval:
    """One estimator's readings of the original and the filtered clip."""

    name: str
    family: str
    hr_original: float
    hr_filtered: float
    window_times_s: list[float]
    windows_original: list[float]
    windows_filtered: list[float]
    pearson_r: float  # band-passed filtered vs original waveform
    snr_filtered_db: float  # filtered waveform's SNR at the original HR
    snr_original_db: float  # original waveform's SNR at its own HR (reference)
    within_original: float  # share of windows within ±5 bpm of the original's window HR
    target_mae: float | None = None  # windows' mean |HR - target|
    within_target: float | None = None  # share of windows within ±3 bpm of the target
    counted: bool = True  # competent on this clip and not a project-trained estimator (see :func:`attacker_verdicts`)
    defeated: bool = False  # spoof: reads the target; erase: lost the original pulse
    waveform_original: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # band-passed
    waveform_filtered: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # band-passed


@dataclass
class Fidelity:
    """How much the picture changed."""

    psnr_db: float  # whole frames, from the clip's mean squared error
    ssim: float  # whole frames: mean local SSIM, over evenly spaced frames
    psnr_face_db: float  # inside the attacker's face box
    ssim_face: float
    mean_abs_diff: float  # grey levels, whole frames
    max_abs_diff: int


@dataclass
class EvalResult:
    """Everything :func:`evaluate` measured; ``to_json`` gives the JSON-ready summary."""

    original: str
    filtered: str
    fps: float
    frames: int
    width: int
    height: int
    target_bpm: float | None
    fidelity: Fidelity
    estimators: list[EstimatorEval]
    face_boxes: list[Box] = field(repr=False)  # one per frame, found on the original
    diff_map: np.ndarray = field(repr=False)  # (H, W) mean |filtered - original| over time and channels
    first_frame: np.ndarray = field(repr=False)  # the original's first frame, BGR

    def to_json(self) -> dict[str, object]:
        """A JSON-serialisable summary (non-finite numbers become null)."""
        estimators = [
            {k: v for k, v in asdict(e).items() if k not in ("waveform_original", "waveform_filtered")} for e in self.estimators
        ]
        windows = [
            [index, box.x, box.y, box.w, box.h]
            for index, box in enumerate(self.face_boxes)
            if index == 0 or box != self.face_boxes[index - 1]
        ]
        return _finite(
            {
                "original": self.original,
                "filtered": self.filtered,
                "fps": self.fps,
                "frames": self.frames,
                "size": [self.width, self.height],
                "target_bpm": self.target_bpm,
                "fidelity": asdict(self.fidelity),
                "face_boxes": windows,  # [first frame, x, y, w, h] whenever the box changes
                "estimators": estimators,
                "consensus_bpm": self.consensus_bpm(),
                "verdict": self.verdict(),
            }
        )

    def table(self) -> str:
        """A readable terminal table: one row per estimator, then fidelity."""
        spoof = self.target_bpm is not None
        header = ["estimator", "family", "HR orig", "HR filt", "r", "SNR@orig", "±5 orig"]
        if spoof:
            header += [f"MAE→{self.target_bpm:g}", "±3 target"]
        header += ["counted", "fooled"]
        rows = []
        for e in self.estimators:
            row = [e.name, e.family, f"{e.hr_original:.1f}", f"{e.hr_filtered:.1f}", f"{e.pearson_r:+.2f}",
                   f"{e.snr_filtered_db:+.1f} dB", f"{e.within_original:.0%}"]
            if spoof:
                row += [f"{e.target_mae:.1f}", f"{e.within_target:.0%}"]
            row += ["yes" if e.counted else "no", ("yes" if e.defeated else "NO") if e.counted else "-"]
            rows.append(row)
        widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
        lines = ["  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in [header, *rows]]
        lines.insert(1, "-" * len(lines[0]))
        f = self.fidelity
        lines += [
            "",
            f"{self.frames} frames at {self.fps:g} fps, {self.width}x{self.height}; HR in bpm, "
            f"windows {WINDOW_S:g} s (hop 1 s); r = Pearson(filtered, original waveform)",
            f"fidelity: PSNR {f.psnr_db:.2f} dB, SSIM {f.ssim:.4f} (whole frames); "
            f"PSNR {f.psnr_face_db:.2f} dB, SSIM {f.ssim_face:.4f} (face box); "
            f"mean |diff| {f.mean_abs_diff:.3f}, max {f.max_abs_diff}",
            *textwrap.wrap(self.legend(), 100),
            self.verdict(),
        ]
        return "\n".join(lines)

    def legend(self) -> str:
        """What the table's columns mean (only those shown)."""
        if self.target_bpm is not None:
            fooled = f"at least {ON_TARGET_SHARE:.0%} of its windows within ±3 bpm of the target"
            return LEGEND + SPOOF_LEGEND + COUNTED_LEGEND + fooled
        fooled = f"|r| ≤ {ERASED_MAX_R:g} and at most {ERASED_MAX_SHARE:.0%} of its windows within ±5 bpm of the original's"
        return LEGEND + COUNTED_LEGEND + fooled

    def consensus_bpm(self) -> float | None:
        """Median whole-clip HR of the classical estimators on the original (None without any)."""
        return consensus_bpm(self.estimators)

    def verdict(self) -> str:
        """One line: how many counted attackers the filter defeated, held-out families apart."""
        return verdict_line(self.estimators, self.target_bpm)


def consensus_bpm(estimators: Sequence[EstimatorEval]) -> float | None:
    """Median whole-clip HR of the classical estimators on the original (None without any)."""
    readings = [e.hr_original for e in estimators if e.family == "classical"]
    return float(np.median(readings)) if readings else None


def attacker_verdicts(estimators: Sequence[EstimatorEval], target_bpm: float | None) -> None:
    """Set each estimator's ``counted`` and ``defeated`` (in place).

    Counted: it reads the original within ``COMPETENCE_BPM`` of the classical consensus (one that
    cannot read the real pulse is no threat) and is not a project-trained network. Defeated:
    spoof, at least ``ON_TARGET_SHARE`` of its windows within ±3 bpm of the target; erase, |r| with
    the original waveform at most ``ERASED_MAX_R`` and at most ``ERASED_MAX_SHARE`` of its windows
    within ±5 bpm of the original's.
    """
    consensus = consensus_bpm(estimators)
    for e in estimators:
        e.counted = (
            consensus is not None
            and e.family not in NOT_COUNTED_FAMILIES
            and abs(e.hr_original - consensus) <= COMPETENCE_BPM
        )
        if target_bpm is not None:
            e.defeated = bool(e.within_target is not None and e.within_target >= ON_TARGET_SHARE)
        else:
            e.defeated = bool(abs(e.pearson_r) <= ERASED_MAX_R and e.within_original <= ERASED_MAX_SHARE)


def verdict_line(estimators: Sequence[EstimatorEval], target_bpm: float | None) -> str:
    """``verdict: k of n competent attackers read the target ...`` with the held-out families apart."""
    what = f"read {target_bpm:g} bpm" if target_bpm is not None else "lost the pulse"
    counted = [e for e in estimators if e.counted]
    parts = [f"verdict: {sum(e.defeated for e in counted)} of {len(counted)} competent attackers {what}"]
    held_out = [e for e in counted if e.family.endswith("held-out")]
    if held_out:
        parts.append(f"held-out families {sum(e.defeated for e in held_out)} of {len(held_out)}")
    missed = [e.name for e in counted if not e.defeated]
    if missed:
        parts.append("not fooled: " + ", ".join(missed))
    skipped = [e.name for e in estimators if not e.counted]
    if skipped:
        parts.append("not counted: " + ", ".join(skipped))
    return "; ".join(parts)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def frame_pairs(original: Path, filtered: Path) -> tuple[VideoInfo, Iterator[tuple[np.ndarray, np.ndarray]]]:
    """Both videos' frames in lockstep; raises VideoInputError on a size mismatch, and while
    reading when one ends before the other."""
    info_o, frames_o = open_video(original)
    info_f, frames_f = open_video(filtered)
    if (info_o.width, info_o.height) != (info_f.width, info_f.height):
        raise VideoInputError(f"frame sizes differ: {info_o.width}x{info_o.height} vs {info_f.width}x{info_f.height}")
    # no check of the declared counts: a container without one (Matroska) gives an estimate from
    # its duration, which can be a frame off; the lockstep read below finds a real difference

    def pairs() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for index, (a, b) in enumerate(zip_longest(frames_o, frames_f)):
            if a is None or b is None:
                raise VideoInputError(f"frame counts differ: {original if a is None else filtered} ends at frame {index}")
            yield a, b

    return info_o, pairs()


class _FidelityMeter:
    """Accumulates per-frame fidelity numbers; SSIM on every ``ssim_every``-th frame."""

    def __init__(self, ssim_every: int) -> None:
        self.ssim_every = ssim_every
        self.count = 0
        self.mse: list[float] = []
        self.mse_face: list[float] = []
        self.ssim: list[float] = []
        self.ssim_face: list[float] = []
        self.abs_sum: np.ndarray | None = None
        self.max_abs = 0

    def add(self, original: np.ndarray, filtered: np.ndarray, box: Box) -> None:
        diff = cv2.absdiff(filtered, original)
        if self.abs_sum is None:
            self.abs_sum = np.zeros(diff.shape, np.float64)
        cv2.accumulate(diff, self.abs_sum)
        self.max_abs = max(self.max_abs, int(diff.max()))
        self.mse.append(metrics.mse(original, filtered))
        self.mse_face.append(metrics.mse(box.region(original), box.region(filtered)))
        if self.count % self.ssim_every == 0:
            local = metrics.ssim_map(original, filtered)
            self.ssim.append(float(local.mean()))
            self.ssim_face.append(float(box.region(local).mean()))
        self.count += 1

    def result(self) -> tuple[Fidelity, np.ndarray]:
        diff_map = self.abs_sum.mean(axis=2) / self.count
        fidelity = Fidelity(
            psnr_db=metrics.psnr_from_mse(float(np.mean(self.mse))),
            ssim=float(np.mean(self.ssim)),
            psnr_face_db=metrics.psnr_from_mse(float(np.mean(self.mse_face))),
            ssim_face=float(np.mean(self.ssim_face)),
            mean_abs_diff=float(diff_map.mean()),
            max_abs_diff=self.max_abs,
        )
        return fidelity, diff_map


def compare_waveforms(
    name: str, family: str, raw_o: np.ndarray, raw_f: np.ndarray, fps: float, target: float | None
) -> EstimatorEval:
    """One estimator's readings of the original (``raw_o``) and filtered (``raw_f``) waveforms."""
    hr_o, hr_f = heart_rate(raw_o, fps), heart_rate(raw_f, fps)
    times, win_o = windowed_heart_rates(raw_o, fps)
    _, win_f = windowed_heart_rates(raw_f, fps)
    wave_o, wave_f = bandpass(raw_o, fps), bandpass(raw_f, fps)
    return EstimatorEval(
        name=name,
        family=family,
        hr_original=hr_o,
        hr_filtered=hr_f,
        window_times_s=times.tolist(),
        windows_original=win_o.tolist(),
        windows_filtered=win_f.tolist(),
        pearson_r=metrics.pearson(wave_f, wave_o),
        snr_filtered_db=snr_at(raw_f, fps, hr_o),
        snr_original_db=snr_at(raw_o, fps, hr_o),
        within_original=metrics.share_within(win_f, win_o, ORIGINAL_TOLERANCE_BPM),
        target_mae=None if target is None else metrics.mae(win_f, target),
        within_target=None if target is None else metrics.share_within(win_f, target, TARGET_TOLERANCE_BPM),
        waveform_original=wave_o,
        waveform_filtered=wave_f,
    )


def evaluate(
    original_path: str | Path,
    filtered_path: str | Path,
    target_bpm: float | None = None,
    estimators: Sequence[str | Estimator] | None = None,
    size: int = CROP_SIZE,
    ssim_frames: int = SSIM_FRAMES,
) -> EvalResult:
    """Compare what every estimator reads on ``filtered_path`` with ``original_path``.

    ``estimators``: names from the registry or Estimator instances (default: all installed);
    ``size``: face crop side; ``ssim_frames``: how many evenly spaced frames SSIM is averaged over.
    """
    original_path, filtered_path = Path(original_path), Path(filtered_path)
    if estimators is None or any(isinstance(e, str) for e in estimators):
        chosen = load_estimators(None if estimators is None else [str(e) for e in estimators])
    else:
        chosen = list(estimators)
    info, pairs = frame_pairs(original_path, filtered_path)
    fps = info.fps
    meter = _FidelityMeter(ssim_every=max(1, math.ceil(info.frame_count / ssim_frames)))
    faces_o, faces_f, boxes = [], [], []
    first_frame = None
    progress = tqdm(pairs, total=info.frame_count or None, desc="reading", unit="fr", leave=False, disable=None)
    for (frame_o, frame_f), box in with_boxes(progress, max(1, round(WINDOW_S * fps)), image=lambda pair: pair[0]):
        first_frame = frame_o if first_frame is None else first_frame
        faces_o.append(crop(frame_o, box, size))
        faces_f.append(crop(frame_f, box, size))
        boxes.append(box)
        meter.add(frame_o, frame_f, box)
    crops_o, crops_f = np.stack(faces_o), np.stack(faces_f)
    with all_cores():  # the deep estimators read whole clips: the live editors' one-thread pin would halve their speed
        results = [
            compare_waveforms(e.name, e.family, e.waveform(crops_o, fps), e.waveform(crops_f, fps), fps, target_bpm)
            for e in tqdm(chosen, desc="estimators", leave=False, disable=None)
        ]
    attacker_verdicts(results, target_bpm)
    fidelity, diff_map = meter.result()
    return EvalResult(
        original=str(original_path),
        filtered=str(filtered_path),
        fps=fps,
        frames=len(boxes),
        width=info.width,
        height=info.height,
        target_bpm=target_bpm,
        fidelity=fidelity,
        estimators=results,
        face_boxes=boxes,
        diff_map=diff_map,
        first_frame=first_frame,
    )
