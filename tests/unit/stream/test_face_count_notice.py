"""'N faces in view' is said only for faces that stay: a one-frame false hit is not a second person."""

from __future__ import annotations

import logging

from privacycam.config import FilterConfig
from privacycam.editors.spectral import SpectralEditor
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode
from privacycam.stream.pipeline import FilterPipeline


def test_one_person_portrait_is_not_announced_as_several_faces(caplog) -> None:
    # the demo's portrait: MediaPipe's mesh finds a second "face" on the suit on single frames
    source = SyntheticSource(frames=150)
    pipeline = FilterPipeline(SpectralEditor(), parse_mode("spoof-hr", 90.0), FilterConfig(refine_steps=0))
    counts = []
    with caplog.at_level(logging.WARNING, logger="privacycam.stream.pipeline"):
        for frame in source:
            pipeline.process(frame)
            counts.append(pipeline.stats().face_count)
    pipeline.close()
    assert max(counts) == 2, "the portrait no longer gives the mesh a false second face; this test needs another clip"
    assert not [m for m in caplog.messages if "faces in view" in m]
