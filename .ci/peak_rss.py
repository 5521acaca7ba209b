"""Run a command, print its peak memory (max RSS over it and its children) and wall time,
and fail when the peak exceeds a limit.

    python .ci/peak_rss.py LIMIT_MB -- COMMAND [ARG...]

Exit status: the command's own when it fails; 3 when it passes but its peak RSS is over
LIMIT_MB; 0 otherwise.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

OVER_LIMIT = 3


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: peak_rss.py LIMIT_MB -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    limit_mb = float(argv[0])
    start = time.monotonic()
    status = subprocess.run(argv[2:]).returncode
    wall_s = time.monotonic() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
    print(f"peak RSS {peak_mb:.0f} MB (limit {limit_mb:.0f} MB), wall time {wall_s / 60:.1f} min", flush=True)
    if status != 0:
        return status if status > 0 else 128 - status  # killed by a signal: as a shell reports it
    if peak_mb > limit_mb:
        print(f"peak RSS over the limit: {peak_mb:.0f} > {limit_mb:.0f} MB", file=sys.stderr)
        return OVER_LIMIT
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
