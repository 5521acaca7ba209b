"""What a batch does: one job per input file, from a folder or a CSV/JSONL manifest."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from privacycam.errors import PrivacyCamError
from privacycam.io.video_files import CODECS
from privacycam.modes import Mode, parse_mode

VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v")
MANIFEST_SUFFIXES = (".csv", ".jsonl")
MANIFEST_COLUMNS = ("input", "output", "mode", "target")


@dataclass(frozen=True)
class Job:
    """Filter ``input`` into ``output`` with ``mode`` (a mode name) and ``target`` (bpm for spoof-hr)."""

    input: Path
    output: Path
    mode: str
    target: float | None = None

    def parsed_mode(self) -> Mode:
        return parse_mode(self.mode, self.target)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "input": str(self.input), "output": str(self.output)}


def find_jobs(
    source: Path, out_dir: Path, mode: str | None, target: float | None, pattern: str | None, suffix: str | None
) -> list[Job]:
    """Jobs from ``source``: a folder (searched recursively; OUT mirrors its tree) or a manifest."""
    source = Path(source)
    if source.is_file() and source.suffix.lower() in MANIFEST_SUFFIXES:
        return read_manifest(source, out_dir, mode, target)
    if not source.is_dir():
        raise PrivacyCamError(f"{source}: not a folder or a .csv/.jsonl manifest")
    if mode is None:
        raise PrivacyCamError("batch on a folder needs --mode (off, erase or spoof-hr BPM)")
    parse_mode(mode, target)  # a bad mode fails before any work
    files = sorted(
        p for p in source.rglob(pattern or "*")
        if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise PrivacyCamError(f"no video files in {source}" + (f" matching {pattern!r}" if pattern else ""))
    return [Job(p, _output_path(out_dir / p.relative_to(source), suffix), mode, target) for p in files]


def read_manifest(path: Path, out_dir: Path, mode: str | None, target: float | None) -> list[Job]:
    """Rows of ``input, output, mode, target`` (CSV with a header, or JSON lines). Relative inputs
    are relative to the manifest, relative outputs to ``out_dir``; an empty output mirrors the
    input's name, an empty mode or target takes ``mode``/``target`` from the command line."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="") as handle:
                rows = list(csv.DictReader(handle))
        else:
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError, csv.Error) as err:
        raise PrivacyCamError(f"{path}: cannot read the manifest ({err})") from err
    jobs = []
    for number, row in enumerate(rows, start=2 if path.suffix.lower() == ".csv" else 1):
        where = f"{path.name} row {number}"
        if not isinstance(row, dict) or not row.get("input"):
            raise PrivacyCamError(f"{where}: needs an 'input' (columns: {', '.join(MANIFEST_COLUMNS)})")
        source = Path(str(row["input"]))
        source = source if source.is_absolute() else path.parent / source
        output = Path(str(row.get("output") or source.name))
        output = output if output.is_absolute() else out_dir / output
        row_mode = str(row.get("mode") or mode or "")
        raw_target = row.get("target")
        try:
            row_target = float(raw_target) if raw_target not in (None, "") else target
            parse_mode(row_mode, row_target)
        except (ValueError, PrivacyCamError) as err:
            raise PrivacyCamError(f"{where}: {err}") from err
        jobs.append(Job(source, _output_path(output, None), row_mode, row_target))
    if not jobs:
        raise PrivacyCamError(f"{path}: the manifest has no rows")
    return jobs


def check_outputs_distinct(jobs: list[Job]) -> None:
    """Two jobs writing the same output, or a job overwriting an input, is an error before any work."""
    seen: dict[Path, Path] = {}
    inputs = {job.input.resolve() for job in jobs}
    for job in jobs:
        output = job.output.resolve()
        if output in inputs:
            raise PrivacyCamError(f"{job.output} is also an input; privacycam never overwrites its input")
        if output in seen:
            raise PrivacyCamError(f"{seen[output]} and {job.input} would both write {job.output}")
        seen[output] = job.input


def _output_path(path: Path, suffix: str | None) -> Path:
    """``path`` with ``suffix``, or with .mkv when its own suffix cannot be written."""
    if suffix:
        return path.with_suffix(suffix if suffix.startswith(".") else f".{suffix}")
    return path if path.suffix.lower() in CODECS else path.with_suffix(".mkv")
