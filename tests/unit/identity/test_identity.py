"""The torch port of dlib's face recogniser, its face chips, and the identity evaluation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from privacycam.identity import dlib_format
from privacycam.identity.align import (
    FIVE_POINT_TEMPLATE,
    chip_details,
    face_chip,
    pyramid_down,
    similarity_transform,
)
from privacycam.identity.dlib_resnet import face_descriptors, load_dlib_resnet, model_path

REFERENCE = Path(__file__).parents[2] / "data" / "dlib_face_reference.json"


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


def test_reader_decodes_dlib_integers_and_floats() -> None:
    r = dlib_format._Reader(b"\x02\x80\x12" + b"\x81\x04" + b"\x00" + b"\x03\x9a\x99\x99\x81\x18" + b"1")
    assert r.int() == 0x1280
    assert r.int() == -4
    assert r.int() == 0
    assert r.float() == pytest.approx(0.6, abs=1e-7)
    assert r.bool() is True
    assert r.done()
    with pytest.raises(dlib_format.DlibFormatError):
        dlib_format._Reader(b"\x02\x01").int()


def test_parser_reads_the_whole_recogniser() -> None:
    loss, layers = dlib_format.read_dlib_net(model_path())
    assert loss.fields["distance_threshold"] == pytest.approx(0.6)
    assert layers[0].fields["size"] == (150, 150)
    convs = [layer for layer in layers if layer.kind == "con_4"]
    assert len(convs) == 29
    assert convs[0].fields["weight"].shape == (32, 3, 7, 7)
    assert layers[-1].kind == "fc_2" and layers[-1].fields["weight"].shape == (128, 256)


def test_similarity_transform_recovers_a_known_map() -> None:
    angle, scale, shift = 0.3, 2.5, np.array([10.0, -4.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = FIVE_POINT_TEMPLATE * 100
    m = similarity_transform(src, src @ rot.T + shift)
    np.testing.assert_allclose(m, np.hstack([rot, shift[:, None]]), atol=1e-9)


def test_chip_of_an_upright_template_face_is_unrotated() -> None:
    points = (0.25 + FIVE_POINT_TEMPLATE) / 1.5 * 300 + 20  # the template at twice chip size
    details = chip_details(points)
    assert details.angle == pytest.approx(0.0, abs=1e-9)
    l, t, r, b = details.rect
    assert r - l + 1 == pytest.approx(300.0)  # dlib's centered_drect: width = right - left + 1
    assert ((l + r) / 2, (t + b) / 2) == pytest.approx((170.0, 170.0))


def test_pyramid_down_keeps_a_flat_image_and_halves_its_size() -> None:
    flat = np.full((41, 30, 3), 200, np.uint8)
    down = pyramid_down(flat)
    assert down.shape == (19, 13, 3)
    assert (down == 200).all()


def test_recogniser_is_differentiable() -> None:
    chips = torch.full((1, 3, 150, 150), 128.0, requires_grad=True)
    load_dlib_resnet()(chips).norm().backward()
    assert chips.grad is not None and chips.grad.abs().sum() > 0


def test_port_matches_live_dlib_on_a_random_chip() -> None:
    dlib = pytest.importorskip("dlib", reason="dlib (dev-only) not installed")
    chip = np.random.default_rng(0).integers(0, 256, (150, 150, 3), dtype=np.uint8)
    expected = np.array(dlib.face_recognition_model_v1(str(model_path())).compute_face_descriptor(chip))
    assert np.abs(face_descriptors(chip) - expected).max() < 1e-5


def test_chips_and_descriptors_match_dlib_on_the_shared_photos(shared_data: Path, reference: dict) -> None:
    photos = reference["photos"]
    chips = []
    for photo in photos:
        chip = face_chip(_rgb(shared_data / photo["path"]), np.array(photo["points5"], float))
        assert hashlib.sha256(chip.tobytes()).hexdigest() == photo["chip_sha256"], photo["path"]
        chips.append(chip)
    ours = face_descriptors(np.stack(chips))
    theirs = np.array([photo["descriptor"] for photo in photos])
    assert np.abs(ours - theirs).max() < 1e-5


# ----------------------------------------------------------------------------- evaluation


def test_same_person_photos_match_and_different_people_do_not(shared_data: Path) -> None:
    from privacycam.identity.evaluate import evaluate_identity

    faces = shared_data / "faces"
    same = evaluate_identity(faces / "obama" / "obama.jpg", faces / "obama" / "obama2.jpg")
    other = evaluate_identity(faces / "obama" / "obama.jpg", faces / "biden" / "biden.jpg")
    assert same.kind == "photos" and same.compared == 1
    assert same.distances[0] < 0.6 and same.match_rate == 1.0
    assert other.distances[0] > 0.6 and other.match_rate == 0.0


def test_photo_folders_are_paired_by_name(shared_data: Path, tmp_path: Path) -> None:
    from privacycam.identity.evaluate import evaluate_identity

    faces = shared_data / "faces"
    original, filtered = tmp_path / "original", tmp_path / "filtered"
    for root in (original, filtered):
        (root / "p").mkdir(parents=True)
    for name in ("a.jpg", "b.jpg", "c.png"):
        (original / "p" / name).write_bytes((faces / "obama" / "obama.jpg").read_bytes())
    (filtered / "p" / "a.jpg").write_bytes((faces / "obama" / "obama3.jpg").read_bytes())
    (filtered / "p" / "b.jpg").write_bytes((faces / "rose_leslie" / "img1.jpg").read_bytes())
    cv2.imwrite(str(filtered / "p" / "c.png"), np.full((300, 300, 3), 128, np.uint8))
    result = evaluate_identity(original, filtered)
    assert result.labels == ["p/a.jpg", "p/b.jpg", "p/c.png"]
    assert result.distances[0] < 0.6 < result.distances[1]
    assert result.distances[2] is None and result.no_face == 1
    assert result.match_rate == pytest.approx(1 / 3)
    summary = result.to_json()
    assert summary["matches"] == 1 and json.loads(json.dumps(summary)) == summary
    assert "match rate      33.3%" in result.table()


def test_video_frames_are_compared_one_by_one(evm_clip: Path, tmp_path: Path) -> None:
    from privacycam.identity.evaluate import evaluate_identity

    cap = cv2.VideoCapture(str(evm_clip))
    frames = [cap.read()[1] for _ in range(20)]
    cap.release()
    filtered = tmp_path / "filtered.mkv"
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(filtered), cv2.VideoWriter_fourcc(*"FFV1"), 30, (width, height))
    for i, frame in enumerate(frames):
        writer.write(frame if i < 10 else np.full_like(frame, 90))  # the face disappears at 10
    writer.release()
    result = evaluate_identity(evm_clip, filtered, stride=5)
    assert result.kind == "video" and result.labels == ["0", "5", "10", "15"]
    assert all(d is not None and d < 0.05 for d in result.distances[:2])  # lossless: same face
    assert result.distances[2:] == [None, None]
    assert result.match_rate == 0.5
    plot = result.plot(tmp_path / "identity.png")
    assert plot.stat().st_size > 1000


def test_each_recogniser_reports_match_rate_spread_and_competence(evm_clip: Path, tmp_path: Path) -> None:
    """A lossless copy: both recognisers match every frame and the original to itself 1 s later
    (competent); a copy with the face blanked from frame 30: no face, no match."""
    from privacycam.identity.evaluate import evaluate_identity

    cap = cv2.VideoCapture(str(evm_clip))
    frames = [cap.read()[1] for _ in range(60)]
    cap.release()
    height, width = frames[0].shape[:2]
    filtered = tmp_path / "filtered.mkv"
    writer = cv2.VideoWriter(str(filtered), cv2.VideoWriter_fourcc(*"FFV1"), 30, (width, height))
    for i, frame in enumerate(frames):
        writer.write(frame if i < 30 else np.full_like(frame, 90))
    writer.release()
    result = evaluate_identity(evm_clip, filtered, stride=6)
    summary = result.to_json()["recognisers"]
    assert set(summary) == {"dlib", "lbph"}
    for name, s in summary.items():
        assert s["match_rate"] == 0.5, (name, s)  # frames 0-24 match, 30-54 show no face
        assert s["competent"] and s["self_match_rate"] == 1.0, (name, s)
        assert s["distance"]["min"] < 1e-3 and s["self_distance_median"] < s["threshold"]
    assert "lbph  match  50.0% below 114" in result.table() and "competent" in result.table()

