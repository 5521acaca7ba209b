"""Health numbers of a running stream, shown in the tray tooltip and ``--stats`` lines."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol

from privacycam.editors.refine import RefineStats
from privacycam.modes import Mode


@dataclass
class StreamStats:
    """A snapshot of the stream's counters and rates."""

    mode: str = "off"
    backend: str = "none"
    face_found: bool = False
    face_count: int = 0
    over_budget: bool = False
    fps: float = 0.0
    added_latency_ms: float = 0.0  # median per-frame processing time over the recent past
    frames_in: int = 0
    frames_out: int = 0
    frames_protected: int = 0  # frames that carried the mode's edit
    frames_passthrough: int = 0  # frames sent unedited (no face, mode off, on_failure=passthrough)
    frames_failsafe: int = 0  # frames not edited but frozen or concealed by the on_failure policy
    frames_dropped: int = 0  # frames the source produced that were never sent
    plans_made: int = 0
    plans_late: int = 0  # planner results that arrived too late and were dropped
    last_message: str = ""
    events: dict[str, int] = field(default_factory=dict)
    refine: RefineStats | None = None  # None: refine off

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """One log line, as printed by ``--stats``."""
        return (
            f"mode={self.mode} backend={self.backend} face={'yes' if self.face_found else 'no'}"
            f" fps={self.fps:.1f} latency={self.added_latency_ms:.1f}ms"
            f" in={self.frames_in} out={self.frames_out} protected={self.frames_protected}"
            f" failsafe={self.frames_failsafe} passthrough={self.frames_passthrough} dropped={self.frames_dropped}"
            + (" OVER-BUDGET" if self.over_budget else "")
            + (f" | {self.refine.line()}" if self.refine is not None else "")
        )


class FilterControl(Protocol):
    """What a user interface (tray, CLI) may do to a running filter."""

    @property
    def mode(self) -> Mode: ...

    def set_mode(self, mode: Mode) -> None:
        """Switch mode/target without restarting the stream; the target pulse glides."""

    def stats(self) -> StreamStats:
        """A snapshot of the health numbers."""
