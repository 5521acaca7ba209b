"""The skin-held-still reference of benchmarks/published_attackers.py on a real face."""

from __future__ import annotations

import importlib.util

import cv2
import numpy as np

from conftest import REPO
from privacycam.face.landmarks import FaceTracker
from privacycam.face.skin_mask import skin_mask
from privacycam.io.video_files import VideoFileSink
from privacycam.rppg.views import face_box

_spec = importlib.util.spec_from_file_location("published_attackers", REPO / "benchmarks" / "published_attackers.py")
published_attackers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(published_attackers)


def test_hold_skin_moves_only_the_masked_pixels_by_the_offset():
    frame = np.full((20, 30, 3), 100, np.uint8)
    mask = np.zeros((10, 10), np.float32)
    mask[2:8, 2:8] = 1.0
    mask[0, 0] = 0.5
    held = published_attackers.hold_skin(frame, (5, 4, 15, 14), mask, np.array([2.0, -3.0, 0.4]))
    assert held[4 + 3, 5 + 3].tolist() == [102, 97, 100]  # 100.4 rounds to 100
    assert held[4, 5].tolist() == [101, 98, 100]  # half the offset where the mask is 0.5
    outside = np.ones(frame.shape[:2], bool)
    outside[6:12, 7:13] = outside[4, 5] = False
    assert np.array_equal(held[outside], frame[outside])


def test_skin_still_frames_hold_the_skin_and_leave_the_rest(tmp_path, shared_data):
    photo = cv2.imread(str(sorted((shared_data / "faces" / "obama").iterdir())[0]))
    scale = 480 / photo.shape[1]
    photo = cv2.resize(photo, (480, int(photo.shape[0] * scale) // 2 * 2), interpolation=cv2.INTER_AREA)
    clip = tmp_path / "pulse.mkv"
    swing = 4.0 * np.sin(2 * np.pi * 1.2 * np.arange(40) / 25.0)  # the whole frame brightens and darkens
    with VideoFileSink(clip, 25.0, (photo.shape[1], photo.shape[0])) as sink:
        for value in swing:
            sink.write(np.clip(photo.astype(np.float32) + value, 0, 255).astype(np.uint8))
    tracker = FaceTracker()
    try:
        face = tracker.observe(photo)
    finally:
        tracker.close()
    box = face_box(face, photo.shape)
    inner = skin_mask(face.landmarks, box) > 0.99
    x0, y0, x1, y1 = box
    held = list(published_attackers.skin_still_frames(clip))
    assert len(held) == len(swing)
    skin = np.array([frame[y0:y1, x0:x1][inner].mean() for frame in held])
    corner = np.array([frame[:40, :40].mean() for frame in held])
    assert skin.std() < 0.3 * swing.std()  # the skin no longer follows the swing ...
    assert np.corrcoef(corner, swing)[0, 1] > 0.99 and corner.std() > 0.9 * swing.std()  # ... the background does
