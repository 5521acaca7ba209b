"""Throughput of `privacycam batch` on N Ray workers against a shell-style loop of
`privacycam process`, side by side in one run, on the same inputs; also checks that both
wrote byte-identical outputs.

    .venv/bin/python benchmarks/batch_throughput.py --frames 60 --workers 2 --json benchmarks/results/batch_throughput.json

``--frames N`` cuts every clip to its first N frames first (lossless FFV1, so both arms
decode the same pixels); 0 keeps the whole clips. Both arms run as separate processes, as a
user runs them, so the loop pays the model loading once per file and the batch once per worker.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIPS = REPO.parent / "shared" / "data" / "clips"
MODE = ["--mode", "spoof-hr", "90"]


def cut(clip: Path, target: Path, frames: int) -> Path:
    """The first ``frames`` frames of ``clip`` as lossless FFV1 (all of them when 0)."""
    from privacycam.io.video_files import VideoFileSink, VideoFileSource

    with VideoFileSource(clip) as source, VideoFileSink(target, source.fps, source.size) as sink:
        for frame in source:
            if frames and frame.index >= frames:
                break
            sink.write(frame.image)
    return target


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS, help=f"folder of clips (default: {DEFAULT_CLIPS})")
    parser.add_argument("--frames", type=int, default=60, help="frames per clip, 0: whole clips (default: 60)")
    parser.add_argument("--workers", type=int, default=2, help="batch workers (default: 2)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    clips = sorted(args.clips.glob("*.mp4"))
    if not clips:
        parser.error(f"no .mp4 clips in {args.clips}")
    cli = [sys.executable, "-m", "privacycam"]
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        work = Path(tmp)
        inputs = work / "in"
        inputs.mkdir()
        for clip in clips:
            cut(clip, inputs / f"{clip.stem}.mkv", args.frames)
        loop_out, batch_out = work / "loop", work / "batch"
        loop_out.mkdir()
        loop_s = sum(
            timed([*cli, "process", str(clip), str(loop_out / clip.name), *MODE, "--no-progress"])
            for clip in sorted(inputs.iterdir())
        )
        batch_s = timed([*cli, "batch", str(inputs), str(batch_out), *MODE, "--workers", str(args.workers), "--no-progress"])
        report = json.loads((batch_out / "batch_report.json").read_text())
        frames = report["summary"]["frames"]
        identical = all(sha256(loop_out / p.name) == sha256(batch_out / p.name) for p in inputs.iterdir())
    result = {
        "clips": [c.name for c in clips],
        "frames_per_clip": args.frames or "all",
        "frames": frames,
        "workers": args.workers,
        "loop_process_s": round(loop_s, 2),
        "batch_s": round(batch_s, 2),
        "speedup": round(loop_s / batch_s, 3),
        "loop_fps": round(frames / loop_s, 2),
        "batch_fps": round(frames / batch_s, 2),
        "outputs_identical": identical,
        "cpu_count": os.cpu_count(),
        "load_average_after": os.getloadavg()[0],
        "machine": platform.processor() or platform.machine(),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip(),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
