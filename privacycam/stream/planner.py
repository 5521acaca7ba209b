"""Runs the editor on windows off the per-frame path, keeping only the newest request."""

from __future__ import annotations

import logging
import threading
import time

from privacycam.editors.base import Editor, Plan, Window
from privacycam.modes import Mode

log = logging.getLogger(__name__)


class Planner:
    """Single-slot planner. ``asynchronous``: a worker thread plans while frames flow, and a
    request that arrives while another waits replaces it (the older one is counted as
    dropped). Otherwise :meth:`submit` plans inline (file mode: deterministic output)."""

    def __init__(self, editor: Editor, asynchronous: bool = True) -> None:
        self.editor = editor
        self.asynchronous = asynchronous
        self.plans_made = 0
        self.requests_dropped = 0
        self.failures = 0
        self.last_error = ""
        self.last_plan_ms = 0.0
        self._latest: Plan | None = None
        self._pending: tuple[Window, Mode] | None = None
        self._lock = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if asynchronous:
            self._thread = threading.Thread(target=self._work, name="privacycam-planner", daemon=True)
            self._thread.start()

    def submit(self, window: Window, mode: Mode) -> None:
        """Ask for a plan from ``window``; never blocks in asynchronous mode."""
        if not self.asynchronous:
            self._run(window, mode)
            return
        with self._lock:
            if self._pending is not None:
                self.requests_dropped += 1
            self._pending = (window, mode)
            self._lock.notify()

    def latest(self) -> Plan | None:
        return self._latest

    def reset(self) -> None:
        """Forget the current plan (the face or frame geometry changed)."""
        with self._lock:
            self._pending = None
            self._latest = None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def _run(self, window: Window, mode: Mode) -> None:
        start = time.perf_counter()
        try:
            plan = self.editor.plan(window, mode)
        except Exception as exc:  # an editor failure must never stop the stream
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("editor %s failed: %s", self.editor.name, self.last_error)
            return
        self.last_plan_ms = (time.perf_counter() - start) * 1000.0
        self._latest = plan
        self.plans_made += 1

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                window, mode = self._pending
                self._pending = None
            self._run(window, mode)
