"""Property tests of the per-frame path: any frame shape or dtype, and degenerate, collinear,
tiny, huge or out-of-frame landmarks. The path never raises, keeps the frame's size (after
the documented conversion to HxWx3 uint8 BGR) and changes nothing outside the skin mask."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from privacycam.config import FilterConfig
from privacycam.editors.spectral import SpectralEditor
from privacycam.face.canonical import CanonicalWarp
from privacycam.face.landmarks import FaceObservation, FaceTracker
from privacycam.face.skin_mask import face_oval_polygon, face_regions, skin_mask
from privacycam.frames import Frame, as_bgr
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode
from privacycam.stream.pipeline import FilterPipeline

FACE = SyntheticSource(640, 480, frames=1).render(0.0)
# derandomize: the same examples on every run, so CI cannot fail on a draw no one can reproduce
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def pipeline():
    pipeline = FilterPipeline(SpectralEditor(), parse_mode("erase"), FilterConfig(asynchronous=False, refine_steps=0))
    yield pipeline
    pipeline.close()


@pytest.fixture(scope="module")
def real_landmarks() -> np.ndarray:
    tracker = FaceTracker(smooth=False)
    observation = tracker.observe(FACE)
    tracker.close()
    return observation.landmarks


DTYPES = st.sampled_from([np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64, np.bool_])
SHAPES = st.one_of(
    st.tuples(st.integers(0, 40), st.integers(0, 40)),
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 6)),
)


@FUZZ
@given(data=st.data(), dtype=DTYPES, shape=SHAPES)
def test_any_frame_shape_and_dtype_flows_through(pipeline, data, dtype, shape):
    image = data.draw(arrays(dtype, shape))
    before = pipeline.stats().frames_out
    result = pipeline.process(Frame(image, 0, before / 30))
    stats = pipeline.stats()
    assert stats.frames_out == before + 1 and "internal error" not in stats.events
    assert result.image.dtype == np.uint8 and result.image.ndim == 3 and result.image.shape[2] == 3
    try:
        expected = as_bgr(image)
    except ValueError:  # documented: an unusable frame becomes a black frame of the stream's size
        assert result.reason == "unusable frame" and not result.image.any()
        return
    assert result.image.shape == expected.shape == shape[:2] + (3,)
    # noise may give the mesh a spurious "face", which on frames this small is too small to protect
    assert np.array_equal(result.image, expected) and result.reason in ("no face", "face too small")


class FixedTracker:
    """Stands in for the face mesh: reports the given landmarks (edge cases MediaPipe cannot be made to emit)."""

    def __init__(self) -> None:
        self.landmarks: np.ndarray | None = None
        self.last_protected: np.ndarray | None = None  # test-side record: what "freeze" must repeat

    def observe(self, image: np.ndarray) -> FaceObservation | None:
        return None if self.landmarks is None else FaceObservation(self.landmarks, 1)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _landmark_cases(real: np.ndarray):
    coord = st.floats(-2000, 2000, allow_nan=False, width=32)
    point = st.tuples(coord, coord)
    single = point.map(lambda p: np.tile(np.float32(p), (468, 1)))
    collinear = st.tuples(point, point).map(
        lambda ends: (np.float32(ends[0]) + np.linspace(0, 1, 468)[:, None] * (np.float32(ends[1]) - np.float32(ends[0]))).astype(np.float32)
    )
    scatter = arrays(np.float32, (468, 2), elements=st.floats(-100, 740, width=32))

    def moved(args):
        scale, angle, dx, dy, jitter, seed = args
        c, s = np.cos(angle), np.sin(angle)
        centre = real.mean(axis=0)
        points = (real - centre) @ (scale * np.array([[c, -s], [s, c]])).T + centre + (dx, dy)
        return (points + np.random.default_rng(seed).normal(0, jitter, points.shape)).astype(np.float32)

    transformed = st.tuples(
        st.floats(0.0, 6.0), st.floats(-np.pi, np.pi), st.floats(-900, 900), st.floats(-700, 700),
        st.floats(0.0, 30.0), st.integers(0, 2**16),
    ).map(moved)
    return st.one_of(single, collinear, scatter, transformed)


@pytest.fixture(scope="module")
def fixed_pipeline():
    tracker = FixedTracker()
    pipeline = FilterPipeline(SpectralEditor(), parse_mode("spoof-hr", 80.0), FilterConfig(asynchronous=False, refine_steps=0), tracker)
    yield pipeline, tracker
    pipeline.close()


@FUZZ
@given(data=st.data())
def test_landmark_edge_cases_never_break_the_frame(fixed_pipeline, real_landmarks, data):
    pipeline, tracker = fixed_pipeline
    tracker.landmarks = data.draw(_landmark_cases(real_landmarks))
    before = pipeline.stats().frames_out
    result = pipeline.process(Frame(FACE, before, before / 30))
    event(result.reason or "protected")
    assert "internal error" not in pipeline.stats().events
    assert result.image.shape == FACE.shape and result.image.dtype == np.uint8
    if result.reason.endswith("(frozen)"):  # the default policy repeats the last protected frame
        assert result.failsafe and np.array_equal(result.image, tracker.last_protected)
        return
    if result.protected:
        tracker.last_protected = result.image
    outside = ~result.editable()
    assert np.array_equal(result.image[outside], FACE[outside])
    if not result.protected and not result.failsafe:
        assert np.array_equal(result.image, FACE)


@FUZZ
@given(data=st.data())
def test_skin_mask_and_canonical_warp_on_edge_cases(real_landmarks, data):
    landmarks = data.draw(_landmark_cases(real_landmarks))
    x0, y0 = np.floor(landmarks.min(axis=0)).astype(int)
    box = (int(x0), int(y0), int(x0) + data.draw(st.integers(0, 300)), int(y0) + data.draw(st.integers(0, 300)))
    mask = skin_mask(landmarks, box)
    assert mask.shape == (box[3] - box[1], box[2] - box[0]) and mask.dtype == np.float32
    assert mask.min(initial=0) >= 0 and mask.max(initial=0) <= 1
    if mask.any():  # support inside the face oval
        oval = np.zeros(mask.shape, np.uint8)
        cv2.fillPoly(oval, [np.round((face_oval_polygon(landmarks) - box[:2]) * 4).astype(np.int32)], 1, shift=2)
        assert not mask[oval == 0].any()
    try:
        warp = CanonicalWarp.from_landmarks(landmarks, 32)
    except ValueError:
        return
    assert np.isfinite(warp.to_canonical).all() and np.isfinite(warp.to_frame).all()
    # the landmarks land near the canonical square (the pipeline draws its skin mask there)
    canonical = cv2.transform(landmarks[None], warp.to_canonical)[0]
    assert np.isfinite(canonical).all() and np.abs(canonical).max() < 1e6
    assert warp.crop(FACE).shape == (32, 32, 3)


@pytest.mark.parametrize("spread_px", [0.0, 1e-3, 0.5])
def test_coinciding_anchor_points_are_degenerate_not_a_huge_warp(real_landmarks, fixed_pipeline, spread_px):
    """Eyes, nose, chin and cheeks piled within ``spread_px`` of one point (the rest of the mesh
    intact) once gave a warp that sent landmarks to ~1e27 canonical pixels: now the warp is
    refused and the frame passes through as "landmarks degenerate"."""
    landmarks = real_landmarks.copy()
    _, holes = face_regions()
    anchors = [*holes[0], *holes[1], 1, 152, 10, 234, 454]
    jitter = np.random.default_rng(0).uniform(-spread_px, spread_px, (len(anchors), 2))
    landmarks[anchors] = landmarks[1] + jitter.astype(np.float32)
    with pytest.raises(ValueError, match="degenerate"):
        CanonicalWarp.from_landmarks(landmarks, 64)
    pipeline, tracker = fixed_pipeline
    tracker.landmarks = landmarks
    result = pipeline.process(Frame(FACE, 0, 0.0))
    assert result.reason.startswith("landmarks degenerate") and not result.protected
    assert result.failsafe or np.array_equal(result.image, FACE)
