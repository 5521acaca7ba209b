"""`privacycam batch` on a simulated multi-node Ray cluster: a head without CPUs and two
worker nodes on this machine (ray.cluster_utils.Cluster); each node takes files."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_batch import SETTINGS, write_clip

from privacycam.app.process import process_file
from privacycam.batch.jobs import find_jobs
from privacycam.batch.ledger import LEDGER_NAME, Ledger, file_sha256
from privacycam.batch.runner import BatchRunner
from privacycam.modes import parse_mode

ray = pytest.importorskip("ray", reason="the batch extra is not installed: pip install 'privacycam[batch]'")
MEMORY = 100 * 1024**2


@pytest.fixture(scope="module")
def two_nodes():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": MEMORY, "include_dashboard": False})
    nodes = [cluster.add_node(num_cpus=1, object_store_memory=MEMORY) for _ in range(2)]
    ray.init(address=cluster.address, log_to_driver=False)
    yield {node.node_id for node in nodes}
    ray.shutdown()
    cluster.shutdown()


def test_two_worker_nodes_share_the_files(two_nodes, tmp_path):
    for name in ("a.mkv", "b.mkv", "c.mkv"):
        write_clip(tmp_path / "in" / name, frames=15)
    out = tmp_path / "out"
    jobs = find_jobs(tmp_path / "in", out, "erase", None, None, None)
    runner = BatchRunner(jobs, SETTINGS, Ledger(out / LEDGER_NAME), workers=2, progress=False)
    runner.run()
    assert [r["status"] for r in runner.records] == ["done"] * 3
    assert {r["node"] for r in runner.records} == two_nodes  # both worker nodes, never the CPU-less head
    reference = process_file(tmp_path / "in" / "a.mkv", tmp_path / "ref.mkv", parse_mode("erase"), progress=False)
    assert file_sha256(out / "a.mkv") == file_sha256(reference.output)
