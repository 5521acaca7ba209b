"""`privacycam batch` on a real local Ray cluster (2 workers) with short generated clips:
outputs byte-identical to `privacycam process`, a corrupt file reported while the rest
complete, an interrupted run and a killed worker resuming to the same outputs; and the
job list, manifest and ledger without Ray."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from privacycam.app.process import process_file
from privacycam.batch.jobs import Job, check_outputs_distinct, find_jobs
from privacycam.batch.ledger import LEDGER_NAME, Ledger, file_sha256
from privacycam.batch.runner import BatchRunner
from privacycam.cli import main
from privacycam.errors import PrivacyCamError
from privacycam.io.sources import SyntheticSource
from privacycam.io.video_files import VideoFileSink
from privacycam.modes import parse_mode

ray = pytest.importorskip("ray", reason="the batch extra is not installed: pip install 'privacycam[batch]'")

SETTINGS = {"editor": "auto", "seed": 0, "crf": None, "eval": False}
GOOD = ("a.mkv", "sub/b.mkv", "c.mkv")
BAD = ("broken.mkv", "truncated.mkv")
FRAMES = 30


def write_clip(path: Path, frames: int = FRAMES, width: int = 160) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    source = SyntheticSource(width, width * 3 // 4, 30.0, frames=frames, pattern="face")
    with VideoFileSink(path, 30.0, source.size) as sink:
        for frame in source:
            sink.write(frame.image)
    return path


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray cluster with 2 CPUs for the module, shut down after."""
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024**2, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for name in GOOD:
        write_clip(folder / name)
    (folder / "broken.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"not a video" * 200)
    whole = write_clip(folder / "truncated.mkv").read_bytes()
    (folder / "truncated.mkv").write_bytes(whole[: len(whole) * 6 // 10])  # decodes in part
    return folder


@pytest.fixture(scope="module")
def expected(clips, tmp_path_factory) -> dict[str, str]:
    """sha256 of what `privacycam process` writes for every good clip (spoof-hr 90)."""
    out = tmp_path_factory.mktemp("process")
    hashes = {}
    for name in GOOD:
        target = out / name.replace("/", "_")
        process_file(clips / name, target, parse_mode("spoof-hr", 90.0), progress=False)
        hashes[name] = file_sha256(target)
    return hashes


def outputs(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): file_sha256(p) for p in sorted(folder.rglob("*.mkv"))}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.startswith(".") or ".partial" in p.name]


def test_batch_matches_process_and_reports_the_corrupt_file(ray_cluster, clips, expected, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", str(clips), str(out), "--mode", "spoof-hr", "90", "--workers", "2", "--no-progress"])
    assert code == 1  # some files failed
    assert outputs(out) == expected  # byte-identical to `privacycam process`; nothing written for the bad files
    report = json.loads((out / "batch_report.json").read_text())
    assert report["summary"]["done"] == 3 and report["summary"]["failed"] == 2
    reasons = {Path(r["input"]).name: r.get("reason", "") for r in report["files"] if r["status"] == "failed"}
    assert "cannot be decoded" in reasons["broken.mkv"] and "frames could not be decoded" in reasons["truncated.mkv"]
    assert not any("\n" in reason for reason in reasons.values())
    good = [r for r in report["files"] if r["status"] == "done"]
    assert all(r["frames"] == FRAMES and r["psnr_db"] > 30 and r["sha256"] for r in good)
    assert len({r["worker"] for r in good}) == 2  # both workers took files
    assert (out / "batch_report.csv").read_text().count("\n") == 6
    assert "3 done, 0 already done, 2 failed" in capsys.readouterr().out
    # rerun: everything done is skipped, the bad files are retried (and fail again)
    assert main(["batch", str(clips), str(out), "--mode", "spoof-hr", "90", "--workers", "2", "--no-progress"]) == 1
    assert "0 done, 3 already done, 2 failed" in capsys.readouterr().out
    assert outputs(out) == expected and not leftovers(out)


def test_interrupted_run_leaves_no_partial_output_and_resumes(ray_cluster, clips, expected, tmp_path):
    out = tmp_path / "out"
    jobs = find_jobs(clips, out, "spoof-hr", 90.0, "*.mkv", None)
    jobs = [job for job in jobs if job.input.name not in BAD]

    def ctrl_c(record: dict) -> None:
        raise KeyboardInterrupt

    first = BatchRunner(jobs, SETTINGS, Ledger(out / LEDGER_NAME), workers=2, on_record=ctrl_c, progress=False)
    with pytest.raises(KeyboardInterrupt):
        first.run()
    assert first.actors == [] and not leftovers(out)  # the file in flight left nothing behind
    done = {Path(r["output"]).relative_to(out).as_posix() for r in first.records if r["status"] == "done"}
    assert 1 <= len(done) < 3 and set(outputs(out)) == done  # every output there is complete and recorded
    second = BatchRunner(jobs, SETTINGS, Ledger(out / LEDGER_NAME), workers=2, progress=False)
    second.run()
    assert len(second.skipped) == len(done) and [r["status"] for r in second.records] == ["done"] * (3 - len(done))
    assert outputs(out) == {name: expected[name] for name in GOOD}


def test_killed_worker_is_replaced_and_its_file_retried(ray_cluster, clips, expected, tmp_path):
    out = tmp_path / "out"
    jobs = [job for job in find_jobs(clips, out, "spoof-hr", 90.0, None, None) if job.input.name not in BAD]
    runner = BatchRunner(jobs, SETTINGS, Ledger(out / LEDGER_NAME), workers=2, progress=False)
    thread = threading.Thread(target=runner.run)
    thread.start()
    deadline = time.monotonic() + 120
    while len(runner.actors) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    victim = runner.actors[0]
    # killed while it still loads its models: its first file, queued behind that, cannot have
    # finished yet (killing after it is ready raced with short clips finishing first)
    ray.kill(victim)
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert [r["status"] for r in runner.records] == ["done"] * 3
    assert max(r["attempt"] for r in runner.records) == 2  # the killed worker's file ran again
    assert outputs(out) == {name: expected[name] for name in GOOD} and not leftovers(out)


# --------------------------------------------------------------------------- without Ray


def test_folder_jobs_mirror_the_tree_and_manifest_rows_carry_their_own_target(tmp_path):
    (tmp_path / "in" / "deep").mkdir(parents=True)
    for name in ("x.mp4", "deep/y.mov", "notes.txt", ".hidden.mp4"):
        (tmp_path / "in" / name).write_bytes(b"")
    jobs = find_jobs(tmp_path / "in", tmp_path / "out", "erase", None, None, None)
    assert [(j.input.name, j.output.relative_to(tmp_path / "out").as_posix()) for j in jobs] == [
        ("y.mov", "deep/y.mkv"),  # .mov cannot be written: .mkv
        ("x.mp4", "x.mp4"),
    ]
    manifest = tmp_path / "list.jsonl"
    manifest.write_text(
        json.dumps({"input": "in/x.mp4", "output": "a/x.webm", "mode": "spoof-hr", "target": 72}) + "\n"
        + json.dumps({"input": "in/deep/y.mov"}) + "\n"
    )
    rows = find_jobs(manifest, tmp_path / "out", "spoof-hr", 90.0, None, None)
    assert [(r.output.name, r.mode, r.target) for r in rows] == [("x.webm", "spoof-hr", 72.0), ("y.mkv", "spoof-hr", 90.0)]
    csv_manifest = tmp_path / "list.csv"
    csv_manifest.write_text("input,output,mode,target\nin/x.mp4,,spoof-hr,500\n")
    with pytest.raises(PrivacyCamError, match="list.csv row 2: target heart rate 500"):
        find_jobs(csv_manifest, tmp_path / "out", None, None, None, None)


def test_ledger_skips_only_unchanged_outputs_made_with_the_same_settings(tmp_path):
    output = tmp_path / "o.mkv"
    output.write_bytes(b"video")
    ledger = Ledger(tmp_path / LEDGER_NAME)
    ledger.add({"output": str(output), "status": "done", "settings": SETTINGS, "sha256": file_sha256(output)})
    with (tmp_path / LEDGER_NAME).open("a") as handle:
        handle.write('{"output": "cut sh')  # a line a crash cut short
    again = Ledger(tmp_path / LEDGER_NAME)
    assert again.is_done(output, SETTINGS)
    assert not again.is_done(output, {**SETTINGS, "seed": 1})
    output.write_bytes(b"edited since")
    assert not again.is_done(output, SETTINGS)


def test_two_jobs_writing_one_output_or_over_an_input_are_refused_before_any_work(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    with pytest.raises(PrivacyCamError, match="would both write"):
        check_outputs_distinct([Job(a, tmp_path / "o.mkv", "erase"), Job(b, tmp_path / "o.mkv", "erase")])
    with pytest.raises(PrivacyCamError, match="never overwrites its input"):
        check_outputs_distinct([Job(a, b, "erase"), Job(b, tmp_path / "o.mkv", "erase")])
