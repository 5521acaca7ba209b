"""``privacycam process IN OUT``: file to file through the same streaming path as live.

The planner runs inline (each plan is ready before the next frame), so the output is
reproducible; every input frame gives exactly one output frame of the same size, and
the output file appears only when complete (Ctrl-C keeps a playable partial file).
The output keeps the input's frame times, metadata, audio and subtitles (copied untouched).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from privacycam.editors.base import Editor
from privacycam.editors.recording import RECORDING_SUFFIX
from privacycam.errors import PrivacyCamError
from privacycam.frames import Frame
from privacycam.identity.evaluate import IMAGE_SUFFIXES
from privacycam.io.video_files import CODECS, VideoFileSink, VideoFileSource
from privacycam.modes import Mode
from privacycam.editors.refine import DEFAULT_MIN_PSNR_DB, REFINE_ATTACKERS
from privacycam.pulse.waveform import WaveformTarget
from privacycam.options import DEFAULT_REFINE_STEPS, add_filter_arguments, make_editor, mode_from_args, pipeline_settings
from privacycam.stream.halo import DEFAULT_HALO_STRENGTH
from privacycam.stream.pipeline import DEFAULT_ON_FAILURE, FilterPipeline, PipelineConfig, ProcessedFrame
from privacycam.stream.runner import RunReport, StreamRunner

log = logging.getLogger(__name__)

QUALITY_MAX_STEPS = 40  # refine steps per plan with --quality max (nothing is live, so time is free)
# ICA both ways: with PBV fitted on the recording too, ICA alone let evm_face read 123.5 at 120 bpm (measured at ae2ffbe)
QUALITY_MAX_ATTACKERS = (*REFINE_ATTACKERS, "ica", "ica" + RECORDING_SUFFIX)


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
    editor_name: str | Editor = "auto",
    on_failure: str = DEFAULT_ON_FAILURE,
    seed: int = 0,
    progress: bool = True,
    on_frame: Callable[[Frame, ProcessedFrame], None] | None = None,
    refine_steps: int = DEFAULT_REFINE_STEPS,
    refine_min_psnr_db: float | None = DEFAULT_MIN_PSNR_DB,
    refine_attackers: tuple[str, ...] = REFINE_ATTACKERS,
    halo_strength: float = DEFAULT_HALO_STRENGTH,
    crf: int | None = None,
) -> ProcessResult:
    """Filter ``source_path`` into ``output_path`` (lossless when it ends in .mkv/.avi;
    H.264 for .mp4 and VP9 for .webm at quality ``crf``, None: the codec's default).

    ``editor_name``: a ``--editor`` name, or an editor (benchmarks of editor variants);
    ``on_frame(frame, result)`` is called for every frame (diagnostics, tests);
    ``refine_steps``: Privacy-Phys refine steps per plan, all taken (nothing is live);
    ``refine_min_psnr_db``: the PSNR floor of the largest attacker box that refine keeps (None: none);
    ``refine_attackers``: the differentiable estimators refine works against;
    ``halo_strength``: spoof-hr's target on the pixels around the skin (0: skin only).
    """
    source_path, output_path = Path(source_path), Path(output_path)
    if output_path.resolve() == source_path.resolve():
        raise PrivacyCamError("OUT must differ from IN: privacycam never overwrites its input")
    source = VideoFileSource(source_path)
    if mode.wave:  # a recording shorter than the video would repeat itself: refuse it
        frames = getattr(source, "frame_count", None) or 0
        WaveformTarget.from_file(mode.wave, source.fps).require(frames / source.fps, source.fps)
    config = PipelineConfig(
        asynchronous=False,
        fps=source.fps,
        on_failure=on_failure,
        seed=seed,
        refine_steps=refine_steps,
        refine_min_psnr_db=refine_min_psnr_db,
        refine_attackers=refine_attackers,
        halo_strength=halo_strength,
    )
    editor = make_editor(editor_name) if isinstance(editor_name, str) else editor_name
    pipeline = FilterPipeline(editor, mode, config)
    total = getattr(source, "frame_count", None) or None
    bar = tqdm(total=total, unit="frame", desc="processing", disable=None if progress else True, leave=False)
    try:
        with VideoFileSink(output_path, source.fps, source.size, protect=source_path, like=source, crf=crf) as sink:
            def frame_done(frame: Frame, result: ProcessedFrame) -> None:
                bar.update(1)
                if on_frame is not None:
                    on_frame(frame, result)

            runner = StreamRunner(source, pipeline, sink, on_frame=frame_done)
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
        pipeline.close()
    for problem in source.problems:
        log.warning("%s", problem)
    if report.interrupted:
        raise PrivacyCamError(
            f"interrupted after {report.stats.frames_out} frames; the frames done so far are in {sink.result}"
        )
    return ProcessResult(output_path, report.stats.frames_out, report, list(source.problems), source.frames_missing)


def process_image(
    source_path: Path, output_path: Path, mode: Mode, editor_name: str = "auto", seed: int = 0, seconds: float = 2.0
) -> ProcessedFrame:
    """Filter a still photo: the same pipeline runs on the photo repeated for ``seconds`` at
    30 fps, planning every frame (so refinement converges), and the last frame is written."""
    source_path, output_path = Path(source_path), Path(output_path)
    if output_path.resolve() == source_path.resolve():
        raise PrivacyCamError("OUT must differ from IN: privacycam never overwrites its input")
    image = cv2.imread(str(source_path))
    if image is None:
        raise PrivacyCamError(f"{source_path}: not a readable image")
    config = PipelineConfig(asynchronous=False, fps=30.0, on_failure="passthrough", seed=seed, plan_every=1)
    pipeline = FilterPipeline(make_editor(editor_name), mode, config)
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


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "process",
        help="filter a video file (or a still photo) into another file",
        description="Filter IN into OUT through the live streaming path. OUT ending in .mkv/.avi is lossless (FFV1), "
        ".mp4 is H.264 and .webm VP9; audio, subtitles, frame times and metadata are kept.",
    )
    parser.add_argument("input", type=Path, metavar="IN")
    parser.add_argument("output", type=Path, metavar="OUT")
    add_filter_arguments(parser, default_mode=None)
    parser.add_argument(
        "--quality",
        choices=("live", "max"),
        default="live",
        help=f"live: the same refine steps as live (--refine-steps); max: at least {QUALITY_MAX_STEPS} refine "
        "steps per plan, ICA (on the recent frames and on the whole recording) added to the refine's attackers, "
        "slower than real time (default: live)",
    )
    add_crf_argument(parser)
    parser.add_argument("--stats-json", type=Path, help="write the run's counters and timings as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _check_output_suffix(source: Path, output: Path) -> None:
    """Refuse an output this kind of input cannot be written as, before any model loads."""
    photo = source.suffix.lower() in IMAGE_SUFFIXES
    allowed = sorted(IMAGE_SUFFIXES) if photo else sorted(CODECS)
    if output.suffix.lower() not in allowed:
        kind = "photo" if photo else "video"
        raise PrivacyCamError(f"cannot write the {kind} as {output.name}: end OUT in one of {', '.join(allowed)}")


def run(args: argparse.Namespace) -> int:
    if not args.mode:
        raise PrivacyCamError("process needs --mode (off, erase or spoof-hr BPM)")
    mode = mode_from_args(args.mode)
    _check_output_suffix(args.input, args.output)
    if args.input.suffix.lower() in IMAGE_SUFFIXES:
        still = process_image(args.input, args.output, mode, args.editor, args.seed)
        print(f"wrote {args.output} (still photo, mode {mode.label()}): {'protected' if still.protected else still.reason}")
        return 0
    settings = pipeline_settings(args)
    steps, attackers = int(settings["refine_steps"]), REFINE_ATTACKERS
    if args.quality == "max":
        steps, attackers = max(steps, QUALITY_MAX_STEPS), QUALITY_MAX_ATTACKERS
    result = process_file(
        args.input,
        args.output,
        mode,
        args.editor,
        args.on_failure or DEFAULT_ON_FAILURE,
        args.seed,
        not args.no_progress,
        refine_steps=steps,
        refine_min_psnr_db=settings["refine_min_psnr_db"],
        refine_attackers=attackers,
        halo_strength=settings["halo_strength"],
        crf=args.crf,
    )
    stats = result.report.stats
    times = np.asarray(result.report.frame_times_ms)
    print(
        f"wrote {result.output} ({result.frames} frames, mode {mode.label()}): "
        f"{stats.frames_protected} protected, {stats.frames_passthrough} not ({_reasons(stats.events)}); "
        f"median {np.median(times):.1f} ms/frame"
    )
    if stats.refine is not None and mode.edits_pulse:  # refine works on the pulse only
        print(stats.refine.line())
    if args.stats_json:
        args.stats_json.write_text(json.dumps({"stats": stats.as_dict(), "frame_ms": times.tolist()}, indent=1))
    return 0


def add_crf_argument(parser: argparse.ArgumentParser) -> None:
    """--crf: the constant-quality setting of .mp4 (H.264) and .webm (VP9) outputs."""
    parser.add_argument(
        "--crf",
        type=int,
        help=f"quality of .mp4 (H.264, default {CODECS['.mp4'][2]}) and .webm (VP9, default {CODECS['.webm'][2]}) "
        "outputs: lower is better and larger; .mkv/.avi are always lossless",
    )


def _reasons(events: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(events.items())) or "none"
