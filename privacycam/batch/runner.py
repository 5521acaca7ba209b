"""Drive a batch on Ray: one long-lived :class:`FileWorker` actor per worker slot, one file
per actor at a time (so at most ``workers`` files are decoded at once), records into the
ledger as files finish, a dead worker replaced and its file retried, Ctrl-C cleaned up."""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from privacycam.batch.jobs import Job
from privacycam.batch.ledger import Ledger
from privacycam.batch.worker import FileWorker
from privacycam.errors import DependencyMissingError
from privacycam.io.video_files import partial_path, temporaries

MAX_ATTEMPTS = 2  # a file whose worker died is tried once more on a fresh worker

OnRecord = Callable[[dict], None]


def import_ray():
    try:
        import ray
    except ImportError as err:
        raise DependencyMissingError("privacycam batch needs Ray: pip install 'privacycam[batch]'") from err
    return ray


class BatchRunner:
    """Runs ``jobs`` with ``settings`` (see :class:`FileWorker`) on ``workers`` actors.

    Joins the Ray cluster at ``address`` (``"auto"``: the one this machine belongs to), or
    uses the one already initialised in this process, or starts a local one with
    ``workers`` CPUs (default: all cores). ``on_record`` sees every finished file's record.
    ``actors`` lists the live workers while :meth:`run` runs.
    """

    def __init__(
        self,
        jobs: list[Job],
        settings: dict,
        ledger: Ledger,
        workers: int | None = None,
        address: str | None = None,
        on_record: OnRecord | None = None,
        progress: bool = True,
    ) -> None:
        self.jobs = jobs
        self.settings = settings
        self.ledger = ledger
        self.workers = workers
        self.address = address
        self.on_record = on_record
        self.progress = progress
        self.actors: list = []
        self.skipped: list[dict] = []
        self.records: list[dict] = []

    def run(self) -> list[dict]:
        """Filter every job not already done; returns the records of this run (skipped ones in ``skipped``)."""
        ray = import_ray()
        todo = []
        for job in self.jobs:
            if self.ledger.is_done(job.output, self.settings):
                self.skipped.append({**self.ledger.records[str(job.output)], "skipped": True})
            else:
                todo.append(job)
        if not todo:
            return []
        started = not ray.is_initialized()
        if started:
            warnings.filterwarnings("ignore", message=".*accelerator visible devices.*", category=FutureWarning)
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.workers,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        try:
            count = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            self._run(ray, todo, min(count, len(todo)))
        finally:
            for actor in self.actors:
                ray.kill(actor)
            self.actors = []
            if started:
                ray.shutdown()
        return self.records

    def _run(self, ray, todo: list[Job], count: int) -> None:
        remote_worker = ray.remote(num_cpus=1)(FileWorker)
        batch_id = uuid.uuid4().hex[:8]
        spawned = 0

        def spawn():
            nonlocal spawned
            spawned += 1
            actor = remote_worker.options(name=f"privacycam-{batch_id}-{spawned}").remote(self.settings)
            self.actors.append(actor)
            return actor

        idle = deque(spawn() for _ in range(count))
        pending = deque((job, 1) for job in todo)
        running: dict = {}  # object ref -> (actor, job, attempt)
        frames, start = 0, time.perf_counter()
        bar = tqdm(total=len(todo), unit="file", desc="batch", disable=None if self.progress else True)
        try:
            while pending or running:
                while idle and pending:
                    actor = idle.popleft()
                    job, attempt = pending.popleft()
                    running[actor.run.remote(job)] = (actor, job, attempt)
                (ref,), _ = ray.wait(list(running), num_returns=1)
                actor, job, attempt = running.pop(ref)
                try:
                    record = ray.get(ref)
                    idle.append(actor)
                except ray.exceptions.RayActorError as err:
                    _remove_leftovers(job.output)
                    self.actors.remove(actor)
                    idle.append(spawn())
                    if attempt < MAX_ATTEMPTS:
                        pending.appendleft((job, attempt + 1))
                        continue
                    record = {**job.as_dict(), "status": "failed", "frames": 0, "reason": f"worker died: {_first_line(err)}"}
                except ray.exceptions.RayError as err:
                    idle.append(actor)
                    record = {**job.as_dict(), "status": "failed", "frames": 0, "reason": _first_line(err)}
                self._keep(record, attempt)
                frames += int(record.get("frames", 0))
                bar.update(1)
                bar.set_postfix(fps=f"{frames / (time.perf_counter() - start):.1f}", failed=self.failed)
                if self.on_record is not None:
                    self.on_record(record)
        except BaseException:  # Ctrl-C or a failure of the driver: stop the workers, keep no partial output
            for actor in self.actors:
                ray.kill(actor)
            for ref, (_, job, attempt) in running.items():
                try:  # a killed worker is gone once its task fails; one that finished just before keeps its file
                    self._keep(ray.get(ref, timeout=30), attempt)
                except ray.exceptions.RayError:
                    _remove_leftovers(job.output)
            raise
        finally:
            bar.close()

    def _keep(self, record: dict, attempt: int) -> None:
        record.update(settings=self.settings, attempt=attempt)
        self.ledger.add(record)
        self.records.append(record)

    @property
    def failed(self) -> int:
        return sum(record["status"] != "done" for record in self.records)


def _remove_leftovers(output: Path) -> None:
    """What a killed worker may have left beside ``output``: its temporary file or a partial file."""
    for leftover in (*temporaries(output), partial_path(output)):
        leftover.unlink(missing_ok=True)


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__
