"""``privacycam bench --json`` says what it was measured on, so results can be compared."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from privacycam import __version__
from privacycam.cli import main


def test_bench_json_records_version_commit_date_and_cpu(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    assert main(["bench", "--seconds", "0.2", "--sizes", "160x120", "--refine-steps", "0", "--json", str(out)]) == 0
    environment = json.loads(out.read_text())["environment"]
    assert environment["privacycam"] == __version__
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent).stdout.strip()
    assert environment["commit"].split("+")[0] == head
    age = datetime.now(timezone.utc) - datetime.fromisoformat(environment["date"])
    assert 0 <= age.total_seconds() < 600
    assert environment["cpu"] and environment["cpu_cores"] == os.cpu_count() and environment["cpu_cores_usable"] >= 1
    assert environment["python"].startswith("3.")
