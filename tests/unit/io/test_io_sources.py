"""Frame sources against real video files (generated and shared), bad inputs, the
camera's error and reconnect paths, camera listing and the synthetic source."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from privacycam.errors import VideoInputError
from privacycam.io.sources import CameraInfo, CameraSource, SyntheticSource, VideoFileSource, list_cameras

W, H, FPS = 64, 48, 25.0


def random_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(n)]


def write_clip(path: Path, frames: list[np.ndarray], fourcc: str = "FFV1") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, (W, H))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def truncate(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def no_video_devices() -> bool:
    return not list(Path("/dev").glob("video*"))


# --------------------------------------------------------------------------- files


def test_reads_a_lossless_clip_exactly_with_timestamps(tmp_path: Path) -> None:
    frames = random_frames(12)
    with VideoFileSource(write_clip(tmp_path / "clip.mkv", frames)) as source:
        assert (source.size, source.fps, source.is_live) == ((W, H), FPS, False)
        got = list(source)
    assert [f.index for f in got] == list(range(12))
    assert [f.timestamp for f in got] == pytest.approx([i / FPS for i in range(12)])
    assert all(np.array_equal(f.image, e) for f, e in zip(got, frames))
    assert source.problems == [] and source.frames_missing == 0


def test_reads_the_shared_evm_clip(evm_clip: Path) -> None:
    with VideoFileSource(evm_clip) as source:
        frames = list(source)
    assert len(frames) == 301 and source.size == (528, 592) and source.fps == pytest.approx(30.0)
    assert frames[0].image.shape == (592, 528, 3) and frames[0].image.dtype == np.uint8
    assert frames[-1].timestamp == pytest.approx(10.0)
    assert source.problems == []


def bad_path(tmp_path: Path, kind: str) -> Path:
    path = {"missing": tmp_path / "missing.mp4", "directory": tmp_path}.get(kind, tmp_path / f"{kind}.mp4")
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a video\n" * 50)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [("missing", "not found"), ("directory", "is a directory"), ("empty", "empty"), ("text", "not a video file")],
)
def test_bad_paths_fail_with_one_clear_line(tmp_path: Path, kind: str, message: str) -> None:
    with pytest.raises(VideoInputError, match=message) as err:
        VideoFileSource(bad_path(tmp_path, kind))
    assert "\n" not in str(err.value)


def test_truncated_mp4_without_index_is_reported_as_truncated(tmp_path: Path) -> None:
    clip = truncate(write_clip(tmp_path / "cut.mp4", random_frames(20), "mp4v"), 0.6)
    with pytest.raises(VideoInputError, match="looks like an MP4/MOV file .* truncated"):
        VideoFileSource(clip)


def test_truncated_shared_clip_is_reported_as_truncated(evm_clip: Path, tmp_path: Path) -> None:
    clip = tmp_path / "evm_cut.mp4"
    clip.write_bytes(evm_clip.read_bytes()[:500_000])
    with pytest.raises(VideoInputError, match="truncated"):
        VideoFileSource(clip)


def test_truncated_mkv_yields_what_decodes_and_reports_the_rest(tmp_path: Path) -> None:
    frames = random_frames(20)
    clip = truncate(write_clip(tmp_path / "cut.mkv", frames), 0.6)
    with VideoFileSource(clip) as source:
        got = list(source)
    assert 0 < len(got) < 20
    assert all(np.array_equal(f.image, e) for f, e in zip(got, frames))
    assert source.frames_missing == 20 - len(got)
    assert len(source.problems) == 1 and f"{20 - len(got)} of 20 frames could not be decoded" in source.problems[0]


def test_zero_frame_video_is_rejected(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "zero.mkv", [])
    with pytest.raises(VideoInputError, match="no frames"):
        VideoFileSource(clip)


def test_closing_mid_stream_stops_without_reporting_problems(tmp_path: Path) -> None:
    source = VideoFileSource(write_clip(tmp_path / "clip.avi", random_frames(10)))
    got = []
    for frame in source:
        got.append(frame)
        if len(got) == 3:
            source.close()
    assert len(got) == 3 and source.problems == []


# --------------------------------------------------------------------------- cameras


@pytest.mark.skipif(not no_video_devices(), reason="this machine has /dev/video* devices")
@pytest.mark.parametrize("device", [0, "3", "/dev/video7"])
def test_missing_camera_is_a_clear_error_that_says_what_to_do(device: int | str) -> None:
    with pytest.raises(VideoInputError, match="not found; no cameras detected") as error:
        CameraSource(device)
    for next_step in ("--list-cameras", "--camera N", "privacycam demo", "privacycam process"):
        assert next_step in str(error.value)


def test_camera_node_that_will_not_open_is_reported_busy() -> None:
    node = Path("/dev/null")  # a device node that exists, standing in for a camera in use
    with pytest.raises(VideoInputError, match="exists but could not be opened: another application"):
        CameraSource(str(node), opener=lambda _device: cv2.VideoCapture())


def test_a_video_file_given_as_camera_is_pointed_to_process(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "some.mkv", random_frames(2))
    with pytest.raises(VideoInputError, match="is a file, not a camera") as error:
        CameraSource(str(clip))
    assert f"privacycam process {clip} OUT" in str(error.value) and "video' group" not in str(error.value)


def test_camera_that_opens_but_delivers_nothing_is_reported(tmp_path: Path) -> None:
    def exhausted(_device: int | str) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(str(write_clip(tmp_path / "one.mkv", random_frames(1))))
        cap.read()
        return cap

    with pytest.raises(VideoInputError, match="delivered no frame"):
        CameraSource(0, opener=exhausted)


def test_camera_reconnects_with_backoff_after_it_stops_delivering(tmp_path: Path) -> None:
    """A clip stands in for the camera: it 'unplugs' when the clip ends, two reopen
    attempts fail, then a second clip 'replugs' it."""
    first, second = random_frames(4, seed=1), random_frames(4, seed=2)
    plan = [
        cv2.VideoCapture(str(write_clip(tmp_path / "a.mkv", first))),
        cv2.VideoCapture(),
        cv2.VideoCapture(),
        cv2.VideoCapture(str(write_clip(tmp_path / "b.mkv", second))),
    ]
    events: list[tuple[str, str]] = []
    source = CameraSource(
        0, opener=lambda _device: plan.pop(0), on_status=lambda *e: events.append(e), retry_delay=0.01, max_retry_delay=0.02
    )
    assert source.is_live and source.size == (W, H)
    got = []
    for frame in source:
        got.append(frame)
        if len(got) == 8:
            source.close()
    assert [f.index for f in got] == list(range(8))
    assert all(np.array_equal(f.image, e) for f, e in zip(got, first + second))
    assert all(b.timestamp >= a.timestamp for a, b in zip(got, got[1:]))
    assert source.reconnects == 1 and source.status == "closed"
    statuses = [status for status, _ in events]
    assert statuses == ["streaming", "reconnecting", "reconnecting", "reconnecting", "streaming", "closed"]
    assert "attempt 2 failed" in events[3][1]


def test_close_from_another_thread_ends_a_reconnect_loop(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "a.mkv", random_frames(2))
    opened = iter([cv2.VideoCapture(str(clip))])
    source = CameraSource(0, opener=lambda _d: next(opened, cv2.VideoCapture()), retry_delay=0.01, max_retry_delay=0.05)
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.extend(f.index for f in source))
    reader.start()
    deadline = time.monotonic() + 5.0  # poll: a stalled host may take a while to reach the retry loop
    while source.status != "reconnecting" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert source.status == "reconnecting"
    time.sleep(0.1)  # a few retries (10-50 ms apart) into the loop
    source.close()
    reader.join(timeout=2)
    assert not reader.is_alive() and got == [0, 1]


def test_list_cameras_reads_sysfs_names_and_skips_our_own_and_metadata_nodes(tmp_path: Path) -> None:
    sys_root, dev_root = tmp_path / "sys", tmp_path / "dev"
    dev_root.mkdir()
    for index, name in enumerate(["Integrated Camera: Integrated C", "Integrated Camera: Integrated C", "PrivacyCam"]):
        entry = sys_root / "class" / "video4linux" / f"video{index}"
        entry.mkdir(parents=True)
        (entry / "name").write_text(name + "\n")
        (dev_root / f"video{index}").touch()
    cameras = list_cameras(sys_root=sys_root, dev_root=dev_root, probe=lambda path: not str(path).endswith("video1"))
    assert cameras == [CameraInfo(0, "Integrated Camera: Integrated C", str(dev_root / "video0"))]


@pytest.mark.skipif(not no_video_devices(), reason="this machine has /dev/video* devices")
def test_list_cameras_is_empty_without_devices() -> None:
    assert list_cameras() == []


# --------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("pattern", ["face", "gradient"])
def test_synthetic_frames_are_deterministic_and_move(pattern: str) -> None:
    frames = list(SyntheticSource(160, 120, fps=30, frames=31, pattern=pattern))
    again = list(SyntheticSource(160, 120, fps=30, frames=31, pattern=pattern))
    assert len(frames) == 31 and frames[30].timestamp == pytest.approx(1.0)
    assert frames[0].image.shape == (120, 160, 3) and frames[0].image.dtype == np.uint8
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, again))
    assert not np.array_equal(frames[0].image, frames[30].image)


def test_synthetic_face_shows_the_portrait() -> None:
    image = SyntheticSource(200, 200, frames=1).render(0.0)
    assert image[100, 100].tolist() != [96, 96, 96]  # portrait in the middle
    assert image[2, 2].tolist() == [96, 96, 96]  # grey border


def test_realtime_synthetic_source_is_paced_and_live() -> None:
    source = SyntheticSource(32, 24, fps=50, frames=11, pattern="gradient", realtime=True)
    start = time.monotonic()
    assert len(list(source)) == 11 and source.is_live
    assert time.monotonic() - start >= 0.19


def test_synthetic_source_runs_until_closed_and_rejects_unknown_patterns() -> None:
    source = SyntheticSource(32, 24, frames=None, pattern="gradient")
    count = 0
    for _ in source:
        count += 1
        if count == 100:
            source.close()
    assert count == 100
    with pytest.raises(ValueError, match="unknown pattern"):
        SyntheticSource(pattern="plasma")
