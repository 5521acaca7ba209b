"""The attacker's face box follows the face: a false hit on the background never takes it over."""

from __future__ import annotations

from privacycam.io.sources import SyntheticSource
from privacycam.rppg.roi import Box, FaceTrack, detect_faces, overlap, with_boxes


def test_a_larger_false_hit_on_the_background_does_not_move_the_box() -> None:
    # the demo portrait at 10 s: the cascade finds the face and, larger, a patch of background
    source = SyntheticSource()
    first, later = source.render(0.0), source.render(10.0)
    faces = detect_faces(later)
    assert len(faces) == 2 and overlap(faces[0], faces[1]) < 0.1
    boxes = [box for _, box in with_boxes([first, later], detect_every=1)]
    assert boxes[1] == faces[1], "the box jumped to the larger background hit"
    assert overlap(boxes[0], boxes[1]) > 0.5


def test_track_continues_the_overlapping_face_and_confirms_a_real_move() -> None:
    face, elsewhere = Box(100, 100, 80, 80), Box(400, 300, 120, 120)
    track = FaceTrack()
    assert track.update([]) is None
    assert track.update([face]) == face
    moved = Box(108, 104, 80, 80)
    assert track.update([elsewhere, moved]) == moved  # overlap wins over size
    assert track.update([elsewhere]) == moved  # one jump is rejected
    assert track.update([]) == moved
    assert track.update([elsewhere]) == moved  # a gap breaks the confirmation
    assert track.update([Box(404, 300, 120, 120)]) == Box(404, 300, 120, 120)  # seen twice: the face moved


def test_overlap_is_intersection_over_union() -> None:
    assert overlap(Box(0, 0, 10, 10), Box(0, 0, 10, 10)) == 1.0
    assert overlap(Box(0, 0, 10, 10), Box(5, 0, 10, 10)) == 50 / 150
    assert overlap(Box(0, 0, 10, 10), Box(10, 0, 10, 10)) == 0.0
