"""The frame-source interface: anything that yields frames."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from privacycam.frames import Frame

DEFAULT_FPS = 30.0


class FrameSource(ABC):
    """Frames from somewhere. Iterate to get them; ``close()`` (or ``with``) releases it.

    Subclasses set ``_fps`` and ``_size`` when they open.
    """

    _fps: float
    _size: tuple[int, int]

    @property
    def fps(self) -> float:
        """Nominal frame rate."""
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return self._size

    @property
    def is_live(self) -> bool:
        """True when frames arrive in real time (a camera), so slow consumers drop frames."""
        return False

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]:
        """Yield frames until the source ends or is closed."""

    @abstractmethod
    def close(self) -> None:
        """Release the file or device; safe to call twice and from another thread."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
