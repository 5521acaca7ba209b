"""The batch's memory: one JSON line per finished file (done or failed), appended as files
finish, so a rerun skips what is done (same settings, output unchanged) and retries the rest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

LEDGER_NAME = "batch_manifest.jsonl"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Ledger:
    """Records keyed by output path; the last record for an output wins."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.records: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                self.records[record["output"]] = record

    def is_done(self, output: Path, settings: dict) -> bool:
        """True when ``output`` was finished with ``settings`` and still holds what was written."""
        record = self.records.get(str(output))
        return (
            record is not None
            and record["status"] == "done"
            and record["settings"] == settings
            and Path(output).is_file()
            and file_sha256(Path(output)) == record["sha256"]
        )

    def add(self, record: dict) -> None:
        """Append ``record`` (with ``output``, ``status``, ``settings``) and flush it to disk."""
        self.records[record["output"]] = record
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
