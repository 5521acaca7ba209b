"""Torch's intra-op thread count for whole-clip work.

The live editors pin the process to one torch thread (their small tensors only contend with
the frames for two cores); whole-clip work such as evaluation runs the deep estimators on
every core the process may use, then puts the pin back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def affinity_cores() -> int:
    """Cores the operating system lets this process run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def usable_cores() -> int:
    """:func:`affinity_cores`, capped by ``OMP_NUM_THREADS`` where set (Ray's workers set it)."""
    cores = affinity_cores()
    try:
        return max(1, min(cores, int(os.environ.get("OMP_NUM_THREADS", cores))))
    except ValueError:
        return cores


@contextmanager
def all_cores() -> Iterator[None]:
    """Run the block with one torch thread per usable core; the previous count is restored after."""
    import torch  # noqa: PLC0415 - importing the evaluation should not import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(usable_cores())
    try:
        yield
    finally:
        torch.set_num_threads(previous)
