"""Per-stage timing (``privacycam bench``) (median, p95, p99), fps, added latency, drops and
CPU use at 640x480 and 1280x720, on a generated face clip (no camera needed)."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from privacycam import __version__
from privacycam.app.stream import build_pipeline, build_stream
from privacycam.config import FilterConfig
from privacycam.modes import Mode
from privacycam.torch_threads import affinity_cores

if TYPE_CHECKING:
    from privacycam.io.sources import SyntheticSource

SIZES = ((640, 480), (1280, 720))


def _summary(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return {"median": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}
    return {
        "median": float(np.median(array)),
        "p95": float(np.percentile(array, 95)),
        "p99": float(np.percentile(array, 99)),
        "n": int(array.size),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _NullSink:
    def __init__(self) -> None:
        self.written = 0
        self.write_times: list[float] = []

    def write(self, image: np.ndarray) -> None:
        self.written += 1
        self.write_times.append(time.monotonic())


class _StampedSource:
    """Wraps a live source and records when each frame became available."""

    def __init__(self, source: SyntheticSource) -> None:
        self.source = source
        self.is_live = source.is_live
        self.arrivals: dict[int, float] = {}

    def __iter__(self):
        for frame in self.source:
            self.arrivals[frame.index] = time.monotonic()
            yield frame

    def close(self) -> None:
        self.source.close()


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform reports."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def source_commit() -> str | None:
    """The git commit of this checkout (``+dirty`` when files differ), or None outside git."""
    root = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_environment() -> dict:
    """What a bench result was measured on, so results can be compared."""
    return {
        "privacycam": __version__,
        "commit": source_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": affinity_cores(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"640x480,1280x720"`` -> [(640, 480), (1280, 720)]."""
    return [tuple(int(v) for v in size.lower().split("x")) for size in text.split(",")]


def bench_size(
    size: tuple[int, int], mode: Mode, config: FilterConfig, editor: str = "auto", seconds: float = 10.0, warmup: int = 30
) -> dict:
    """Throughput (unpaced, every frame timed per stage) and a paced 30-fps live run, both
    at 30 fps with ``config``'s other settings."""
    from dataclasses import replace

    from privacycam.io.sources import SyntheticSource

    config = replace(config, fps=30.0)
    width, height = size
    frames = int(seconds * 30)
    # 1) per-stage timings, frames back to back, planner in its worker thread as live
    pipeline = build_pipeline(mode, config, editor)
    stages: dict[str, list[float]] = {}
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    for frame in SyntheticSource(width, height, 30.0, frames=frames + warmup):
        result = pipeline.process(frame)
        if frame.index >= warmup:
            for stage, ms in result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    wall = time.perf_counter() - wall0
    cpu = _cpu_seconds() - cpu0
    stats = pipeline.stats()
    pipeline.close()
    throughput = {
        "stages_ms": {stage: _summary(v) for stage, v in stages.items()},
        "fps_capacity": float(1000.0 / np.mean(stages["total"])),
        "cpu_percent": 100.0 * cpu / wall,
        "frames_protected": stats.frames_protected,
        "frames": stats.frames_out,
        "planner_runs": stats.plans_made,
    }
    # 2) live: paced 30 fps source → runner → sink; end-to-end added latency and drops
    source = _StampedSource(SyntheticSource(width, height, 30.0, frames=frames + warmup, realtime=True))
    sink = _NullSink()
    indices: list[int] = []
    runner = build_stream(source, sink, mode, config, editor, on_frame=lambda frame, _result: indices.append(frame.index))
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    report = runner.run()
    wall = time.perf_counter() - wall0
    cpu = _cpu_seconds() - cpu0
    runner.pipeline.close()
    latency = [
        (written - source.arrivals[index]) * 1000.0
        for index, written in zip(indices, sink.write_times)
        if index >= warmup
    ]
    live = {
        "fps_out": sink.written / wall,
        "frames_in": frames + warmup,
        "frames_out": sink.written,
        "frames_dropped": report.stats.frames_dropped,
        "frames_protected": report.stats.frames_protected,
        "overload_events": {k: v for k, v in report.stats.events.items() if k.startswith("overload")},
        "added_latency_ms": _summary(latency),
        "cpu_percent": 100.0 * cpu / wall,
        "refine": asdict(report.stats.refine) if report.stats.refine is not None else None,
    }
    return {"size": f"{width}x{height}", "throughput": throughput, "live": live}


def format_table(results: list[dict]) -> str:
    """Human-readable table of :func:`bench_size` results."""
    lines = []
    for r in results:
        t, live = r["throughput"], r["live"]
        lines.append(f"== {r['size']} ==  capacity {t['fps_capacity']:.1f} fps, CPU {t['cpu_percent']:.0f}%")
        lines.append(f"  {'stage':<12} {'median':>8} {'p95':>8} {'p99':>8}  (ms)")
        for stage, s in t["stages_ms"].items():
            lines.append(f"  {stage:<12} {s['median']:8.2f} {s['p95']:8.2f} {s['p99']:8.2f}")
        lat = live["added_latency_ms"]
        lines.append(
            f"  live @30fps: out {live['fps_out']:.1f} fps, {live['frames_out']}/{live['frames_in']} frames, "
            f"dropped {live['frames_dropped']}, protected {live['frames_protected']}, "
            f"added latency median {lat['median']:.1f} / p95 {lat['p95']:.1f} / p99 {lat['p99']:.1f} ms, "
            f"CPU {live['cpu_percent']:.0f}%, overload {live['overload_events'] or 'none'}"
        )
        if live.get("refine"):
            r = live["refine"]
            lines.append(
                f"  refine: {r['plans']} plans refined, {r['steps']} steps, {r['step_ms']:.1f} ms/step, "
                f"misses {r['misses']}, skipped {r['skipped']}"
            )
    return "\n".join(lines)
