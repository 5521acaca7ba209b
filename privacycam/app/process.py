"""File to file (``privacycam process IN OUT``) through the same streaming path as live.

The planner runs inline (each plan is ready before the next frame), so the output is
reproducible; every input frame gives exactly one output frame of the same size, and
the output file appears only when complete (Ctrl-C keeps a playable partial file).
The output keeps the input's frame times, metadata, audio and subtitles (copied untouched).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
from tqdm import tqdm

from privacycam.app.stream import build_pipeline, build_stream
from privacycam.config import FilterConfig
from privacycam.editors.base import Editor
from privacycam.errors import PrivacyCamError
from privacycam.frames import Frame, ProcessedFrame
from privacycam.io.video_files import VideoFileSink, VideoFileSource
from privacycam.modes import Mode
from privacycam.pulse.waveform import WaveformTarget
from privacycam.stream.runner import RunReport

log = logging.getLogger(__name__)


@dataclass
class ProcessResult:
    """Where the output went and what the run did."""

    output: Path
    frames: int
    report: RunReport
    problems: list[str]  # what went wrong reading the input (e.g. undecodable frames), one line each
    frames_missing: int  # frames the input declares but that did not decode (truncated or corrupt)


def process_file(
    source_path: Path,
    output_path: Path,
    mode: Mode,
    config: FilterConfig | None = None,
    editor: str | Editor = "auto",
    *,
    progress: bool = True,
    on_frame: Callable[[Frame, ProcessedFrame], None] | None = None,
    crf: int | None = None,
) -> ProcessResult:
    """Filter ``source_path`` into ``output_path`` (lossless when it ends in .mkv/.avi;
    H.264 for .mp4 and VP9 for .webm at quality ``crf``, None: the codec's default).

    ``config``: the filter's settings (default: the product's), run at the file's frame rate
    with the planner inline, so refine takes all its steps (nothing is live);
    ``editor``: a ``--editor`` name, or an editor (benchmarks of editor variants);
    ``on_frame(frame, result)`` is called for every frame (diagnostics, tests).
    """
    source_path, output_path = Path(source_path), Path(output_path)
    if output_path.resolve() == source_path.resolve():
        raise PrivacyCamError("OUT must differ from IN: privacycam never overwrites its input")
    source = VideoFileSource(source_path)
    if mode.wave:  # a recording shorter than the video would repeat itself: refuse it
        frames = getattr(source, "frame_count", None) or 0
        WaveformTarget.from_file(mode.wave, source.fps).require(frames / source.fps, source.fps)
    config = replace(config or FilterConfig(), asynchronous=False, fps=source.fps)
    total = getattr(source, "frame_count", None) or None
    runner = None
    bar = tqdm(total=total, unit="frame", desc="processing", disable=None if progress else True, leave=False)
    try:
        with VideoFileSink(output_path, source.fps, source.size, protect=source_path, like=source, crf=crf) as sink:
            def frame_done(frame: Frame, result: ProcessedFrame) -> None:
                bar.update(1)
                if on_frame is not None:
                    on_frame(frame, result)

            runner = build_stream(source, sink, mode, config, editor, on_frame=frame_done)
            previous = signal.signal(signal.SIGTERM, lambda *_: runner.stop())
            try:
                report = runner.run()
            finally:
                signal.signal(signal.SIGTERM, previous)
            if report.error:
                raise PrivacyCamError(report.error)
            if report.interrupted:
                sink.abort()
    finally:
        bar.close()
        if runner is not None:
            runner.pipeline.close()
    for problem in source.problems:
        log.warning("%s", problem)
    if report.interrupted:
        raise PrivacyCamError(
            f"interrupted after {report.stats.frames_out} frames; the frames done so far are in {sink.result}"
        )
    return ProcessResult(output_path, report.stats.frames_out, report, list(source.problems), source.frames_missing)


def process_image(
    source_path: Path, output_path: Path, mode: Mode, editor: str = "auto", seed: int = 0, seconds: float = 2.0
) -> ProcessedFrame:
    """Filter a still photo: the same pipeline runs on the photo repeated for ``seconds`` at
    30 fps, planning every frame (so refinement converges), and the last frame is written."""
    source_path, output_path = Path(source_path), Path(output_path)
    if output_path.resolve() == source_path.resolve():
        raise PrivacyCamError("OUT must differ from IN: privacycam never overwrites its input")
    image = cv2.imread(str(source_path))
    if image is None:
        raise PrivacyCamError(f"{source_path}: not a readable image")
    config = FilterConfig(asynchronous=False, fps=30.0, on_failure="passthrough", seed=seed, plan_every=1, refine_steps=0)
    pipeline = build_pipeline(mode, config, editor)
    try:
        for index in range(max(1, int(seconds * config.fps))):
            result = pipeline.process(Frame(image, index, index / config.fps))
    finally:
        pipeline.close()
    if not result.protected and not mode.is_off:
        log.warning("%s: not edited (%s)", source_path, result.reason)
    if not cv2.imwrite(str(output_path), result.image):
        raise PrivacyCamError(f"{output_path}: could not write the image (unknown extension?)")
    return result
