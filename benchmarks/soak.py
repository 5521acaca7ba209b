"""Soak test: a generated live source through the live runner for minutes; memory, fps, threads.

    .venv/bin/python benchmarks/soak.py --minutes 10 --json soak.json
    .venv/bin/python benchmarks/soak.py --minutes 2 --busy 1    # with another program busy on one core

The source is ``SyntheticSource(realtime=True)`` (the astronaut drifting, paced at 30 fps)
and the pipeline is built as the live command builds it (planner in a worker thread);
frames go to a sink that only counts them. After a warm-up (models loaded, history
buffers filled) RSS is sampled once a second; start and end are the medians of the first
and last 10 samples, since MediaPipe's buffers come and go by ~25 MB from one second to
the next. fps per 10-s window shows whether the rate is steady; OS threads are counted
after the warm-up and at the end, Python threads again after everything is closed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from privacycam.app.stream import build_stream
from privacycam.config import PLANNER_NICENESS, FilterConfig
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode


def proc_status(field: str) -> int:
    """An integer field of /proc/self/status (``VmRSS`` in kB, ``Threads``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class CountingSink:
    def __init__(self) -> None:
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        self.frames += 1


def _spin() -> None:
    while True:
        pass


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """``count`` processes keeping a core busy each, as other programs on the machine would
    (a video-call app encoding), at the caller's priority, for the ``with`` block."""
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(count)]
    for spinner in spinners:
        spinner.start()
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()


def soak(
    seconds: float,
    warmup_s: float = 10.0,
    width: int = 640,
    height: int = 480,
    fps: float = 30.0,
    editor: str = "auto",
    planner_niceness: int = PLANNER_NICENESS,
) -> dict:
    """Stream for ``warmup_s + seconds``; the numbers cover the ``seconds`` after the warm-up
    (which should outlast the pipeline's 8-s history, whose buffers fill during it)."""
    python_threads_before = threading.active_count()
    source = SyntheticSource(width, height, fps, frames=None, realtime=True)
    config = FilterConfig(fps=fps, planner_niceness=planner_niceness)  # as `privacycam`
    sink = CountingSink()
    runner = build_stream(source, sink, parse_mode("spoof-hr", 75.0), config, editor)
    pipeline = runner.pipeline
    runner.start()
    time.sleep(warmup_s)
    start, frames_start, threads_start = time.monotonic(), sink.frames, proc_status("Threads")
    rss, marks = [], [(start, frames_start)]  # 1-Hz samples: RSS (MB); (time, frames sent)
    while time.monotonic() - start < seconds:
        time.sleep(1.0)
        rss.append(proc_status("VmRSS") / 1024)
        marks.append((time.monotonic(), sink.frames))
    duration, frames, threads_end = time.monotonic() - start, sink.frames - frames_start, proc_status("Threads")
    times, sent = np.array(marks[::10]).T  # 10-s windows
    window_fps = np.diff(sent) / np.diff(times)
    runner.stop()
    report = runner.join(10.0)
    pipeline.close()
    stats = report.stats
    return {
        "editor": f"{pipeline.editor.name} ({pipeline.editor.backend})",
        "duration_s": round(duration, 1),
        "frames": frames,
        "fps": round(frames / duration, 2),
        "fps_min_10s": round(float(window_fps.min()), 2),
        "fps_max_10s": round(float(window_fps.max()), 2),
        "rss_start_mb": round(float(np.median(rss[:10])), 1),
        "rss_end_mb": round(float(np.median(rss[-10:])), 1),
        "rss_min_mb": round(min(rss), 1),
        "rss_max_mb": round(max(rss), 1),
        "os_threads_start": threads_start,
        "os_threads_end": threads_end,
        "python_threads_before": python_threads_before,
        "python_threads_after_close": threading.active_count(),
        "frames_total": stats.frames_out,  # warm-up included, as the counters below
        "frames_protected": stats.frames_protected,
        "frames_failsafe": stats.frames_failsafe,
        "frames_passthrough": stats.frames_passthrough,
        "frames_dropped": stats.frames_dropped,
        "median_frame_ms": round(float(np.median(report.frame_times_ms)), 2),
        "p99_frame_ms": round(float(np.percentile(report.frame_times_ms, 99)), 2),
        "events": stats.events,
        "refine": stats.refine.line() if stats.refine is not None else "off",
        "error": report.error,
    }


def table(result: dict) -> str:
    """The result as a two-column Markdown table."""
    rows = [f"| {key} | {value} |" for key, value in result.items()]
    return "\n".join(["| measure | value |", "|---|---|", *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="soak length after the warm-up (default 10)")
    parser.add_argument("--editor", default="auto", help="pulse editor, as privacycam --editor (default: auto)")
    parser.add_argument("--planner-niceness", type=int, default=PLANNER_NICENESS,
                        help=f"how much nicer the planner thread runs (default {PLANNER_NICENESS}; 0: the frames' priority)")
    parser.add_argument("--busy", type=int, default=0, help="processes that keep a core busy all along (default 0)")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    with busy_cores(args.busy):
        result = {**soak(args.minutes * 60.0, editor=args.editor, planner_niceness=args.planner_niceness), "busy_processes": args.busy}
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 1 if result["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
