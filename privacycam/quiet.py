"""Keep other libraries' log chatter off the terminal (the command line's default; ``-v`` keeps it).

MediaPipe/TFLite log from C++ straight to file descriptor 2 (``W0000 …`` lines, "Created
TensorFlow Lite XNNPACK delegate"), which no Python setting or environment variable turns
off, so stderr is routed through a pipe whose reader drops those lines and passes the rest
on unchanged (partial lines such as progress bars go through at once). OpenCV's
``[ WARN ]`` lines are turned off by its own log level.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading

# A native log line: glog/absl ("W0000 00:00:…", "I20261205 …"), TFLite's INFO line, absl's
# pre-initialisation notice, OpenCV's "[ WARN:0@1.2]" / "[ERROR:0@…]" lines.
NATIVE_LOG = re.compile(
    rb"^(?:[IWEF]\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\]"
    rb"|INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog\(\)"
    rb"|\[ ?(?:WARN|INFO):\d"
    rb")"
)
_LONGEST_PREFIX = 48  # an unfinished line this long that does not match will not become a log line
THIRD_PARTY_LOGGERS = ("absl", "tensorflow", "jax", "h5py", "PIL", "matplotlib", "numba")


def is_native_log(line: bytes) -> bool:
    """Whether one line of stderr is another library's native log line."""
    return NATIVE_LOG.match(line.lstrip(b"\r")) is not None


def filter_lines(data: bytes, pending: bytes = b"") -> tuple[bytes, bytes]:
    """Split ``pending + data`` into what to write now and what to hold for more data.

    Whole lines are written unless they are native log lines; an unfinished line is written
    at once when it cannot become one (e.g. a progress bar redrawn with carriage returns).
    """
    *lines, rest = (pending + data).split(b"\n")
    out = b"".join(line + b"\n" for line in lines if not is_native_log(line))
    if rest and not _may_become_native(rest):
        return out + rest, b""
    return out, rest


def _may_become_native(partial: bytes) -> bool:
    head = partial.lstrip(b"\r")
    if is_native_log(head):
        return True
    return len(head) < _LONGEST_PREFIX and head[:1] in (b"", b"I", b"W", b"E", b"F", b"[")


class StderrFilter:
    """Route file descriptor 2 through a pipe that drops native log lines."""

    def __init__(self) -> None:
        sys.stderr.flush()
        self._terminal = os.dup(2)
        read_end, write_end = os.pipe()
        self._pipe = os.fstat(write_end).st_ino
        os.dup2(write_end, 2)
        os.close(write_end)
        self._read_end = read_end
        self._thread = threading.Thread(target=self._pump, name="stderr-filter", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _pump(self) -> None:
        pending = b""
        while data := os.read(self._read_end, 65536):
            out, pending = filter_lines(data, pending)
            if out:
                os.write(self._terminal, out)
        if pending and not is_native_log(pending):
            os.write(self._terminal, pending)
        os.close(self._read_end)

    def close(self) -> None:
        """Put the terminal back on descriptor 2 and pass on what is still in the pipe."""
        if self._terminal < 0:
            return
        sys.stderr.flush()
        if os.fstat(2).st_ino == self._pipe:  # unless someone else has replaced descriptor 2 since
            os.dup2(self._terminal, 2)  # closes the pipe's last write end: the reader sees EOF
        self._thread.join(timeout=2.0)
        os.close(self._terminal)
        self._terminal = -1


_filter: StderrFilter | None = None


def silence_third_party_logs() -> None:
    """Drop other libraries' log output for the rest of the process (idempotent)."""
    global _filter
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    if "cv2" in sys.modules:
        sys.modules["cv2"].setLogLevel(2)  # ERROR
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if _filter is None:
        _filter = StderrFilter()
