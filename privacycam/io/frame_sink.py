"""The sink interface: anything that takes the filtered frames."""

from __future__ import annotations

from abc import ABC, abstractmethod

import cv2
import numpy as np

from privacycam.frames import as_bgr


class FrameSink(ABC):
    """Takes HxWx3 uint8 BGR frames.

    ``close()`` finishes normally; ``abort()`` stops after a failure or Ctrl-C (the
    default is the same as ``close()``). Used as a context manager, a sink closes when
    the block ends normally and aborts when it ends with any exception (a failure of the
    abort itself is added as a note to that exception, which propagates).
    """

    resized = 0  # frames that arrived in another size and were resized

    @abstractmethod
    def write(self, image: np.ndarray) -> None:
        """Send one frame."""

    @abstractmethod
    def close(self) -> None:
        """Finish; safe to call twice."""

    def abort(self) -> None:
        """Stop after a failure or interruption."""
        self.close()

    def __enter__(self) -> FrameSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.abort()
        except Exception as err:  # noqa: BLE001 - keep the original exception, note this one
            exc.add_note(f"stopping the {type(self).__name__} also failed: {err}")

    def _fit(self, image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """``image`` as BGR of ``size`` (w, h); a resize is counted in ``resized``."""
        image = as_bgr(image)
        if (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            self.resized += 1
        return image
