"""Runs the editor on windows off the per-frame path, keeping only the newest request."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from privacycam.config import DEFAULT_BUDGET_MS, DEFAULT_UNREFINED_GAIN, PLANNER_NICENESS
from privacycam.editors.base import Editor, Plan, Window
from privacycam.editors.refine import Lookahead, TraceRefiner
from privacycam.modes import Mode

log = logging.getLogger(__name__)


def lower_thread_priority(niceness: int) -> None:
    """Make the calling thread ``niceness`` nicer than it is (Linux gives every thread its
    own nice value; raising it needs no privilege); elsewhere, or if refused, nothing."""
    if niceness <= 0 or not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + niceness))
    except OSError as exc:  # e.g. a sandbox that forbids it: plan at normal priority
        log.info("planner priority unchanged: %s", exc)


class Planner:
    """Single-slot planner. ``asynchronous``: a worker thread plans while frames flow, and a
    request that arrives while another waits replaces it (the older one is counted as
    dropped). Otherwise :meth:`submit` plans inline (file mode: deterministic output).

    With a ``refiner``, each plan is refined before it is published. Live, plan and refine
    together get ``budget_ms``: the refiner fits its steps to it, and a refined plan that
    comes too late is discarded for the unrefined one (a miss). Frames never wait either
    way; they use the previous plan meanwhile. Inline, refine takes all its steps.
    The worker thread runs ``niceness`` nicer than the thread that made the planner.
    A spoof plan published without refine (no refiner, skipped, late, or not applicable yet)
    injects ``unrefined_gain`` x louder (:meth:`Plan.louder`).
    """

    def __init__(
        self,
        editor: Editor,
        asynchronous: bool = True,
        refiner: TraceRefiner | None = None,
        budget_ms: float = DEFAULT_BUDGET_MS,
        niceness: int = PLANNER_NICENESS,
        unrefined_gain: float = DEFAULT_UNREFINED_GAIN,
    ) -> None:
        self.editor = editor
        self.unrefined_gain = unrefined_gain
        self.asynchronous = asynchronous
        self.refiner = refiner
        self.budget_ms = budget_ms
        self.niceness = niceness
        self.plans_made = 0
        self.requests_dropped = 0
        self.failures = 0
        self.last_error = ""
        self.last_plan_ms = 0.0
        self._latest: Plan | None = None
        self._pending: tuple[Window, Mode, Lookahead | None, bool] | None = None
        self._lock = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if asynchronous:
            self._thread = threading.Thread(target=self._work, name="privacycam-planner", daemon=True)
            self._thread.start()

    def submit(self, window: Window, mode: Mode, lookahead: Lookahead | None = None, refine: bool = True) -> None:
        """Ask for a plan from ``window``; never blocks in asynchronous mode. ``lookahead``:
        the frames the plan will edit (needed to refine); ``refine=False``: skip refine
        (the stream is overloaded)."""
        request = (window, mode, lookahead, refine)
        if not self.asynchronous:
            self._run(*request)
            return
        with self._lock:
            if self._pending is not None:
                self.requests_dropped += 1
            self._pending = request
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

    def _run(self, window: Window, mode: Mode, lookahead: Lookahead | None, refine: bool) -> None:
        start = time.perf_counter()
        try:
            plan = self.editor.plan(window, mode)
        except Exception as exc:  # an editor failure must never stop the stream
            self._failed(exc)
            return
        unrefined = plan
        if self.refiner is not None and lookahead is not None and mode.edits_pulse:
            if not refine:
                self.refiner.stats.skipped += 1
            else:
                deadline = start + self.budget_ms / 1000.0 if self.asynchronous else None
                try:
                    plan = self.refiner.refine(plan, self._latest, window, mode, lookahead, deadline)
                except Exception as exc:  # keep the unrefined plan
                    self._failed(exc)
        if plan is unrefined and mode.spoof and self.unrefined_gain != 1.0:
            plan = plan.louder(self.unrefined_gain)
        self.last_plan_ms = (time.perf_counter() - start) * 1000.0
        self._latest = plan
        self.plans_made += 1

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("editor %s failed: %s", self.editor.name, self.last_error)

    def _work(self) -> None:
        lower_thread_priority(self.niceness)
        while True:
            with self._lock:
                while self._pending is None and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                request = self._pending
                self._pending = None
            self._run(*request)
