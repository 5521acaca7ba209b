"""Other libraries' native log lines stay off the terminal unless -v; everything else gets through."""

from __future__ import annotations

import subprocess
import sys

from privacycam.quiet import filter_lines, is_native_log

MEDIAPIPE_STDERR = (
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"W0000 00:00:1796448046.969606   21610 inference_feedback_manager.cc:114] Feedback manager requires a model\n"
    b"[ WARN:0@0.011] global cap_v4l.cpp:913 open VIDEOIO(V4L2:/dev/video0): can't open camera by index\n"
)


def test_native_log_lines_are_recognised_and_ours_are_not() -> None:
    for line in MEDIAPIPE_STDERR.splitlines():
        assert is_native_log(line), line
    for line in (b"privacycam: error: camera 0 not found", b"Warning: low light", b"[ERROR:0@1.0] real failure"):
        assert not is_native_log(line), line


def test_filter_drops_log_lines_and_passes_progress_bars_at_once() -> None:
    out, pending = filter_lines(b"privacycam: face in view\n" + MEDIAPIPE_STDERR + b"\rfaces a.mkv:  10%|#")
    assert out == b"privacycam: face in view\n\rfaces a.mkv:  10%|#" and pending == b""
    out, pending = filter_lines(b"W0000 00:00:1.5  1 x.cc:1")  # a log line arriving in pieces is held
    assert out == b"" and pending
    out, pending = filter_lines(b"] more\nnext\n", pending)
    assert out == b"next\n" and pending == b""


def _run(*flags: str) -> str:
    # a native library writing to descriptor 2 as MediaPipe does, then the command's own output
    code = (
        "import os, sys\n"
        "from privacycam.quiet import silence_third_party_logs\n"
        "if '-v' not in sys.argv: silence_third_party_logs()\n"
        "os.write(2, b'W0000 00:00:1796448046.969606   21610 inference_feedback_manager.cc:114] noise\\n')\n"
        "print('privacycam: kept', file=sys.stderr)\n"
    )
    return subprocess.run([sys.executable, "-c", code, *flags], capture_output=True, text=True, timeout=60).stderr


def test_descriptor_two_is_filtered_unless_verbose() -> None:
    assert _run() == "privacycam: kept\n"
    assert "W0000" in _run("-v")


def test_a_later_owner_of_descriptor_two_keeps_it_at_exit(tmp_path) -> None:
    # as pytest's fd capture does: descriptor 2 is replaced after the filter started
    log = tmp_path / "captured.txt"
    code = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: os.write(2, b'written at exit\\n'))  # runs after the filter's close\n"
        "from privacycam.quiet import silence_third_party_logs\n"
        "silence_third_party_logs()\n"
        f"fd = os.open({str(log)!r}, os.O_WRONLY | os.O_CREAT)\n"
        "os.dup2(fd, 2)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and log.read_text() == "written at exit\n"
