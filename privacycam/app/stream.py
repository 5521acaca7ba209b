"""The one place the filter is assembled: source → pipeline (editor, planner) → sink."""

from __future__ import annotations

from collections.abc import Callable

from privacycam.app.editors import make_editor
from privacycam.config import FilterConfig
from privacycam.editors.base import Editor
from privacycam.frames import Frame, ProcessedFrame
from privacycam.modes import Mode
from privacycam.stream.pipeline import FilterPipeline
from privacycam.stream.runner import Sink, Source, StreamRunner


def build_pipeline(mode: Mode, config: FilterConfig, editor: str | Editor = "auto") -> FilterPipeline:
    """The per-frame filter for ``mode``; ``editor``: a ``--editor`` name or an editor."""
    return FilterPipeline(make_editor(editor) if isinstance(editor, str) else editor, mode, config)


def build_stream(
    source: Source,
    sink: Sink,
    mode: Mode,
    config: FilterConfig,
    editor: str | Editor = "auto",
    *,
    on_frame: Callable[[Frame, ProcessedFrame], None] | None = None,
    stats_every_s: float | None = None,
) -> StreamRunner:
    """``source`` through the filter into ``sink``: the runner (also the stream's
    :class:`~privacycam.stream.stats.FilterControl`), not started. Closing the pipeline
    (``runner.pipeline.close()``), the source and the sink stays with the caller."""
    pipeline = build_pipeline(mode, config, editor)
    return StreamRunner(source, pipeline, sink, stats_every_s=stats_every_s, on_frame=on_frame)
