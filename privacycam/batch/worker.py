"""One batch worker: a long-lived process that loads the editor's models once and filters
file after file, returning one record per file (never raising for a bad file)."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import asdict

import numpy as np

from privacycam.app.editors import make_editor
from privacycam.app.process import process_file
from privacycam.batch.jobs import Job
from privacycam.batch.ledger import file_sha256
from privacycam.config import FilterConfig
from privacycam.errors import PrivacyCamError
from privacycam.evaluation.metrics import psnr_from_mse
from privacycam.frames import Frame, ProcessedFrame
from privacycam.io.video_files import partial_path

SPOOF_TOLERANCE_BPM = 3.0  # an estimator "reads the target" within this (as privacycam eval's ±3 share)
MISSING_FRAMES_TOLERANCE = 0.01  # share of declared frames that may be absent from an intact file
ERASE_TOLERANCE_BPM = 5.0  # an estimator "still reads the original" within this (eval's ±5 share)


class FileWorker:
    """Filters files with one editor instance (models loaded in the constructor).

    ``settings``: ``editor``, ``seed``, ``crf``, ``eval`` (also run every installed rPPG
    estimator on the original and the output).
    """

    def __init__(self, settings: dict) -> None:
        self.settings = dict(settings)
        self.editor = make_editor(str(settings["editor"]))
        self.host = f"{platform.node()}:{os.getpid()}"
        self.node = _ray_node()

    def ready(self) -> str:
        """Where this worker runs (answers once the models are loaded)."""
        return self.host

    def run(self, job: Job) -> dict:
        """Filter ``job``; a record with ``status`` "done" (and the output's sha256) or "failed"
        (and a one-line ``reason``), never an exception for a bad input."""
        record: dict = {**job.as_dict(), "status": "failed", "worker": self.host, "node": self.node, "frames": 0}
        start = time.perf_counter()
        error = _MeanSquaredError()
        try:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            result = process_file(
                job.input, job.output, job.parsed_mode(), FilterConfig(seed=int(self.settings["seed"])), self.editor,
                progress=False, on_frame=error.add, crf=self.settings.get("crf"),
            )
            if _damaged(result.frames, result.frames_missing):
                job.output.unlink(missing_ok=True)
                raise _InputDamaged(result.problems[-1])
            seconds = time.perf_counter() - start
            stats = result.report.stats
            record.update(
                status="done",
                frames=result.frames,
                seconds=round(seconds, 3),
                fps=round(result.frames / seconds, 2),
                psnr_db=round(psnr_from_mse(error.mean()), 3),
                protected=stats.frames_protected,
                refine=asdict(stats.refine) if stats.refine is not None else None,
                sha256=file_sha256(job.output),
            )
            if self.settings.get("eval"):
                record["eval"] = _evaluate(job)
        except Exception as err:  # noqa: BLE001 - one bad file must not stop the batch
            partial_path(job.output).unlink(missing_ok=True)
            record.update(reason=_one_line(err), seconds=round(time.perf_counter() - start, 3))
        return record


def _damaged(frames: int, missing: int) -> bool:
    """More frames missing than a container's declared count can be off by (its duration
    times the frame rate, rounded): the input is truncated or corrupt."""
    return missing > max(1, MISSING_FRAMES_TOLERANCE * (frames + missing))


class _InputDamaged(Exception):
    """The input decoded only in part (truncated or corrupt)."""


class _MeanSquaredError:
    """Mean squared difference between input and filtered frames, over the whole video."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def add(self, frame: Frame, result: ProcessedFrame) -> None:
        diff = result.image.astype(np.int16) - frame.image.astype(np.int16)
        self.total += float(np.square(diff, dtype=np.int32).sum(dtype=np.int64))
        self.count += diff.size

    def mean(self) -> float:
        return self.total / max(self.count, 1)


def _evaluate(job: Job) -> dict:
    """Every installed estimator's HR on the original and the output, and a verdict."""
    from privacycam.evaluation.report import evaluate

    mode = job.parsed_mode()
    target = mode.target_bpm if mode.spoof else None
    result = evaluate(job.input, job.output, target_bpm=target)
    readings = {e.name: (round(e.hr_original, 2), round(e.hr_filtered, 2)) for e in result.estimators}
    if mode.spoof:
        hits = sum(abs(filtered - target) <= SPOOF_TOLERANCE_BPM for _, filtered in readings.values())
        verdict = f"{hits}/{len(readings)} estimators read {target:g} bpm (±{SPOOF_TOLERANCE_BPM:g})"
    else:
        kept = sum(abs(filtered - original) <= ERASE_TOLERANCE_BPM for original, filtered in readings.values())
        verdict = f"{kept}/{len(readings)} estimators still read the original HR (±{ERASE_TOLERANCE_BPM:g} bpm)"
    return {"hr": readings, "verdict": verdict, "psnr_db": round(result.fidelity.psnr_db, 3)}


def _ray_node() -> str | None:
    """The Ray node this worker runs on (None outside Ray)."""
    try:
        import ray
    except ImportError:
        return None
    return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    if isinstance(err, (PrivacyCamError, _InputDamaged)) and text:
        return text
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
