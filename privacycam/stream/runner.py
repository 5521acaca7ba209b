"""Reader thread → bounded queue → worker (the pipeline) → sink, as in roboflow supervision.

File sources never lose a frame: the reader waits when the queue is full. Live sources
never wait: when the worker falls behind, frames are processed with less work (the rungs
of :class:`~privacycam.stream.ladder.OverloadLadder`) and only when even that cannot keep
up is the oldest queued frame dropped (counted).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from privacycam.frames import Frame, ProcessedFrame
from privacycam.modes import Mode
from privacycam.stream.ladder import OverloadLadder
from privacycam.stream.pipeline import FilterPipeline
from privacycam.stream.stats import StreamStats

log = logging.getLogger(__name__)

_END = object()


class Sink(Protocol):
    def write(self, image: np.ndarray) -> None: ...


class Source(Protocol):
    is_live: bool

    def __iter__(self): ...

    def close(self) -> None: ...


@dataclass
class RunReport:
    """What a finished (or stopped) run did."""

    stats: StreamStats
    frame_times_ms: list[float]
    stage_times_ms: dict[str, list[float]]
    interrupted: bool
    error: str = ""


class StreamRunner:
    """Runs ``source`` through ``pipeline`` into ``sink``; :meth:`run` blocks, :meth:`start`
    runs it in a thread (for the tray), :meth:`stop` ends it cleanly from any thread.
    It is the stream's :class:`~privacycam.stream.stats.FilterControl`."""

    def __init__(
        self,
        source: Source,
        pipeline: FilterPipeline,
        sink: Sink,
        queue_size: int = 4,
        stats_every_s: float | None = None,
        on_frame: Callable[[Frame, ProcessedFrame], None] | None = None,
    ) -> None:
        self.source = source
        self.pipeline = pipeline
        self.sink = sink
        self.stats_every_s = stats_every_s
        self.on_frame = on_frame
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dropped = 0
        self._reader_error = ""
        self._source_ended = False
        self.report: RunReport | None = None

    # ---- control ----
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="privacycam-stream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> RunReport | None:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.report

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- the loop ----
    def run(self) -> RunReport:
        reader = threading.Thread(target=self._read, name="privacycam-reader", daemon=True)
        reader.start()
        frame_times: list[float] = []
        stages: dict[str, list[float]] = {}
        last_stats = time.monotonic()
        error = ""
        live = bool(getattr(self.source, "is_live", False))
        ladder = OverloadLadder()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    break
                load = ladder.update(self._queue.qsize() if live else 0, self._queue.maxsize)
                result = self.pipeline.process(item, load=load)
                self.sink.write(result.image)
                if self.on_frame is not None:
                    self.on_frame(item, result)
                frame_times.append(result.timings_ms.get("total", 0.0))
                for stage, ms in result.timings_ms.items():
                    stages.setdefault(stage, []).append(ms)
                if self.stats_every_s and time.monotonic() - last_stats >= self.stats_every_s:
                    last_stats = time.monotonic()
                    log.info("%s", self.stats().line())
        except KeyboardInterrupt:
            self._stop.set()
        except Exception as exc:  # a sink failure ends the run with a clear message
            self._stop.set()
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self._stop.set()
            self.source.close()
            reader.join(timeout=5.0)
        interrupted = not self._source_ended
        self.report = RunReport(self.stats(), frame_times, stages, interrupted, error or self._reader_error)
        return self.report

    # ---- FilterControl: what the tray and CLI may do to the running stream ----
    @property
    def mode(self) -> Mode:
        return self.pipeline.mode

    def set_mode(self, mode: Mode) -> None:
        self.pipeline.set_mode(mode)

    def stats(self) -> StreamStats:
        """The pipeline's counters plus the frames this runner had to drop."""
        stats = self.pipeline.stats()
        stats.frames_dropped = self._dropped
        return stats

    def _read(self) -> None:
        live = bool(getattr(self.source, "is_live", False))
        try:
            for frame in self.source:
                if self._stop.is_set():
                    break
                if live:
                    while True:
                        try:
                            self._queue.put_nowait(frame)
                            break
                        except queue.Full:
                            try:
                                self._queue.get_nowait()
                                self._dropped += 1
                            except queue.Empty:
                                pass
                else:
                    while not self._stop.is_set():
                        try:
                            self._queue.put(frame, timeout=0.1)
                            break
                        except queue.Full:
                            continue
            else:
                self._source_ended = True
        except Exception as exc:
            self._reader_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._put_end()

    def _put_end(self) -> None:
        while True:
            try:
                self._queue.put(_END, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set():
                    try:
                        self._queue.get_nowait()
                    except queue.Empty:
                        pass
