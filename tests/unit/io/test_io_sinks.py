"""Frame sinks: atomic lossless video files, the virtual camera (a thin fake stands in
for the v4l2loopback device only), the preview window, tee, and the local MJPEG server
exercised with a real HTTP client."""

from __future__ import annotations

import http.client
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import pyvirtualcam

from privacycam.errors import VideoOutputError
from privacycam.io import sinks
from privacycam.io.mjpeg import is_loopback
from privacycam.io.sinks import FrameSink, MjpegServerSink, PreviewSink, TeeSink, VideoFileSink, VirtualCameraSink, open_sink
from privacycam.io.v4l2 import MODPROBE_COMMAND, VideoDevice

W, H, FPS = 64, 48, 25.0


def random_frames(n: int, seed: int = 0, size: tuple[int, int] = (W, H)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8) for _ in range(n)]


def read_all(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            return frames
        frames.append(image)


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", ["out.mkv", "out.avi"])
def test_ffv1_round_trip_is_bit_exact_and_appears_only_on_close(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    out.write_bytes(b"older file")
    frames = random_frames(10)
    with VideoFileSink(out, FPS, (W, H)) as sink:
        for frame in frames:
            sink.write(frame)
        assert out.read_bytes() == b"older file"  # untouched until close
        assert len(list(tmp_path.iterdir())) == 2  # plus the hidden temporary file
    assert sink.result == out and sink.frames_written == 10
    assert [p.name for p in tmp_path.iterdir()] == [name]
    got = read_all(out)
    assert len(got) == 10 and all(np.array_equal(a, b) for a, b in zip(got, frames))


def test_mp4_output_is_written_lossy(tmp_path: Path) -> None:
    frames = [np.full((H, W, 3), 10 * i, np.uint8) for i in range(8)]
    with VideoFileSink(tmp_path / "out.mp4", FPS, (W, H)) as sink:
        for frame in frames:
            sink.write(frame)
    got = read_all(tmp_path / "out.mp4")
    assert len(got) == 8 and np.abs(got[5].astype(int) - 50).mean() < 8


def test_exception_inside_with_keeps_a_playable_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    frames = random_frames(5)
    with pytest.raises(KeyboardInterrupt):
        with VideoFileSink(out, FPS, (W, H)) as sink:
            for frame in frames:
                sink.write(frame)
            raise KeyboardInterrupt
    assert not out.exists()
    assert sink.result == tmp_path / "out.partial.mkv"
    assert [p.name for p in tmp_path.iterdir()] == ["out.partial.mkv"]
    got = read_all(sink.result)
    assert len(got) == 5 and all(np.array_equal(a, b) for a, b in zip(got, frames))


def test_abort_before_any_frame_leaves_nothing(tmp_path: Path) -> None:
    sink = VideoFileSink(tmp_path / "out.mkv", FPS, (W, H))
    sink.abort()
    sink.close()  # no-op after abort
    assert sink.result is None and list(tmp_path.iterdir()) == []
    with pytest.raises(VideoOutputError, match="write after close"):
        sink.write(random_frames(1)[0])


def test_refuses_to_overwrite_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "in.mkv"
    source.write_bytes(b"precious")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link.mkv").symlink_to(source)
    for target in (source, Path("in.mkv"), tmp_path / "sub" / ".." / "in.mkv", tmp_path / "link.mkv"):
        with pytest.raises(VideoOutputError, match="refusing to overwrite the input video"):
            VideoFileSink(target, FPS, (W, H), protect=source)
    assert source.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mkv", "link.mkv"]


def test_other_frame_sizes_are_resized_and_counted(tmp_path: Path) -> None:
    with VideoFileSink(tmp_path / "out.mkv", FPS, (W, H)) as sink:
        sink.write(random_frames(1)[0])
        sink.write(random_frames(1, size=(32, 24))[0])
        sink.write(np.zeros((H, W), np.uint8))  # grayscale is converted, not resized
    assert sink.resized == 1
    assert [f.shape for f in read_all(tmp_path / "out.mkv")] == [(H, W, 3)] * 3


@pytest.mark.parametrize(("name", "message"), [("out.gif", "use .mkv or .avi"), ("nowhere/out.mkv", "folder does not exist")])
def test_bad_output_paths_are_clear_errors(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(VideoOutputError, match=message):
        VideoFileSink(tmp_path / name, FPS, (W, H))


# --------------------------------------------------------------------------- virtual camera


class RecordingCamera:
    """Stands in for the v4l2loopback device behind pyvirtualcam.Camera."""

    instances: list[RecordingCamera] = []

    def __init__(self, width: int, height: int, fps: float, *, fmt: pyvirtualcam.PixelFormat, device: str | None = None) -> None:
        self.width, self.height, self.fps, self.fmt = width, height, fps, fmt
        self.device = device or "/dev/video9"
        self.sent: list[np.ndarray] = []
        self.closed = 0
        RecordingCamera.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        assert frame.shape == (self.height, self.width, 3) and frame.dtype == np.uint8
        self.sent.append(frame.copy())

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def fake_camera(monkeypatch: pytest.MonkeyPatch) -> type[RecordingCamera]:
    RecordingCamera.instances = []
    monkeypatch.setattr(pyvirtualcam, "Camera", RecordingCamera)
    return RecordingCamera


def test_virtual_camera_sends_bgr_frames_and_resizes(fake_camera: type[RecordingCamera]) -> None:
    frames = random_frames(3)
    with VirtualCameraSink(W, H, 30) as sink:
        for frame in frames:
            sink.write(frame)
        sink.write(random_frames(1, size=(W * 2, H * 2))[0])
    camera = fake_camera.instances[0]
    assert camera.fmt == pyvirtualcam.PixelFormat.BGR and (camera.width, camera.height, camera.fps) == (W, H, 30)
    assert all(np.array_equal(a, b) for a, b in zip(camera.sent, frames))
    assert len(camera.sent) == 4 and sink.resized == 1 and sink.frames_sent == 4
    assert camera.closed == 1 and sink.device == "/dev/video9"


def test_virtual_camera_prefers_the_device_labelled_privacycam(
    fake_camera: type[RecordingCamera], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    node = tmp_path / "video4"
    node.touch()
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(sinks, "virtual_camera_device", lambda: VideoDevice(4, node, "PrivacyCam"))
    assert VirtualCameraSink(W, H, 30).device == str(node)


@pytest.mark.skipif(platform.system() != "Linux" or list(Path("/dev").glob("video*")), reason="needs Linux without video devices")
def test_no_virtual_camera_device_says_how_to_load_one() -> None:
    with pytest.raises(VideoOutputError) as err:
        VirtualCameraSink(W, H, 30)
    message = str(err.value)
    assert MODPROBE_COMMAND in message and "no virtual camera available" in message and "\n" not in message


def test_no_virtual_camera_on_windows_points_to_obs(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("'obs' backend: OBS Virtual Camera device not found!\nDid you install OBS?")

    monkeypatch.setattr(pyvirtualcam, "Camera", missing)
    monkeypatch.setattr(platform, "system", lambda: "Windows")
    with pytest.raises(VideoOutputError, match="Start Virtual Camera") as err:
        VirtualCameraSink(W, H, 30)
    assert "\n" not in str(err.value) and "modprobe" not in str(err.value)


# --------------------------------------------------------------------------- preview, tee, open_sink


def test_preview_without_a_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    with pytest.raises(VideoOutputError, match="no display"):
        PreviewSink()


PREVIEW_SCRIPT = """
import cv2, numpy as np
from privacycam.io.sinks import PreviewSink
sink = PreviewSink()
image = np.zeros((48, 64, 3), np.uint8)
sink.write(image); sink.write(image)
assert not sink.closed and sink.title == "PrivacyCam preview"
cv2.destroyWindow(sink.title); cv2.waitKey(1)  # what the user's close button does
sink.write(image)
assert sink.closed
sink.write(image)  # ignored
print("closed-by-window")
"""


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb not installed")
def test_preview_window_closing_closes_the_sink() -> None:
    """In a child process under Xvfb: Qt aborts the process on display errors."""
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "320x240x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        display = server.stdout.readline().decode().strip()
        result = subprocess.run(
            [sys.executable, "-c", PREVIEW_SCRIPT],
            env={**os.environ, "DISPLAY": f":{display}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        server.wait()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "closed-by-window" in result.stdout


class FailingSink(FrameSink):
    def __init__(self) -> None:
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        self.frames += 1

    def close(self) -> None:
        raise VideoOutputError("close failed")


def test_tee_writes_everywhere_and_aborts_everywhere(tmp_path: Path) -> None:
    counter = FailingSink()
    with pytest.raises(RuntimeError, match="stop") as err:
        with TeeSink(VideoFileSink(tmp_path / "a.mkv", FPS, (W, H)), counter) as tee:
            for frame in random_frames(3):
                tee.write(frame)
            raise RuntimeError("stop")
    assert err.value.__notes__ == ["stopping the TeeSink also failed: close failed"]
    assert counter.frames == 3
    assert len(read_all(tmp_path / "a.partial.mkv")) == 3


def test_tee_close_reaches_every_sink_before_raising(tmp_path: Path) -> None:
    tee = TeeSink(FailingSink(), VideoFileSink(tmp_path / "b.mkv", FPS, (W, H)))
    tee.write(random_frames(1)[0])
    with pytest.raises(VideoOutputError, match="close failed"):
        tee.close()
    assert len(read_all(tmp_path / "b.mkv")) == 1


def test_open_sink_specs(tmp_path: Path, fake_camera: type[RecordingCamera]) -> None:
    file_sink = open_sink(str(tmp_path / "x.mkv"), FPS, (W, H))
    assert isinstance(file_sink, VideoFileSink)
    file_sink.abort()
    camera = open_sink("virtualcam:/dev/video3", FPS, (W, H))
    assert isinstance(camera, VirtualCameraSink) and camera.device == "/dev/video3"
    server = open_sink("mjpeg:0", FPS, (W, H))
    assert isinstance(server, MjpegServerSink)
    server.close()
    with pytest.raises(VideoOutputError, match="mjpeg:PORT"):
        open_sink("mjpeg:web", FPS, (W, H))
    with pytest.raises(VideoOutputError, match="refusing to overwrite"):
        open_sink(str(tmp_path / "in.mkv"), FPS, (W, H), protect=tmp_path / "in.mkv")


# --------------------------------------------------------------------------- MJPEG server


@pytest.fixture
def server() -> Iterator[MjpegServerSink]:
    sink = MjpegServerSink(port=0)
    yield sink
    sink.close()


def get(port: int, path: str, host: str | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers={"Host": host} if host else {})
    return conn.getresponse()


def next_part(response: http.client.HTTPResponse) -> np.ndarray:
    """Read one multipart JPEG from an MJPEG stream and decode it."""
    headers = {}
    line = response.fp.readline()
    while line.strip() == b"":
        line = response.fp.readline()
    assert line.strip() == b"--privacycam-frame"
    while (line := response.fp.readline().strip()) != b"":
        key, _, value = line.decode().partition(":")
        headers[key.lower()] = value.strip()
    assert headers["content-type"] == "image/jpeg"
    jpeg = response.fp.read(int(headers["content-length"]))
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def flat(value: int) -> np.ndarray:
    return np.full((H, W, 3), value, np.uint8)


def test_snapshot_serves_the_latest_frame(server: MjpegServerSink) -> None:
    server.write(flat(40))
    server.write(flat(200))
    response = get(server.port, "/snapshot.jpg")
    assert response.status == 200 and response.getheader("Content-Type") == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(response.read(), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (H, W, 3) and abs(float(image.mean()) - 200) < 3


def test_stream_delivers_new_frames_as_multipart_jpeg(server: MjpegServerSink) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/stream.mjpg"
    server.write(flat(60))
    response = get(server.port, "/stream.mjpg")
    assert response.status == 200
    assert response.getheader("Content-Type") == "multipart/x-mixed-replace; boundary=privacycam-frame"
    assert abs(float(next_part(response).mean()) - 60) < 3
    server.write(flat(180))
    assert abs(float(next_part(response).mean()) - 180) < 3
    response.close()


@pytest.mark.parametrize("path", ["/", "/stream", "/snapshot.png", "/../etc/passwd"])
def test_other_paths_are_404(server: MjpegServerSink, path: str) -> None:
    assert get(server.port, path).status == 404


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "192.168.1.20:8765"])
def test_foreign_host_headers_are_rejected(server: MjpegServerSink, host: str) -> None:
    server.write(flat(1))
    assert get(server.port, "/snapshot.jpg", host=host).status == 403


@pytest.mark.parametrize("host", ["localhost:8765", "127.0.0.1", "[::1]:8765"])
def test_local_host_headers_are_accepted(server: MjpegServerSink, host: str) -> None:
    server.write(flat(1))
    assert get(server.port, "/snapshot.jpg", host=host).status == 200


def test_allow_remote_accepts_any_host_header() -> None:
    sink = MjpegServerSink(port=0, allow_remote=True)
    try:
        sink.write(flat(1))
        assert get(sink.port, "/snapshot.jpg", host="camera.lan").status == 200
    finally:
        sink.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_refuses_non_loopback_bind_without_allow_remote(host: str) -> None:
    with pytest.raises(VideoOutputError, match="allow_remote=True"):
        MjpegServerSink(host, port=0)


def test_port_in_use_is_a_clear_error(server: MjpegServerSink) -> None:
    with pytest.raises(VideoOutputError, match=f"cannot serve MJPEG on 127.0.0.1:{server.port}"):
        MjpegServerSink(port=server.port)


def test_snapshot_before_any_frame_is_503() -> None:
    sink = MjpegServerSink(port=0, first_frame_timeout=0.05)
    try:
        assert get(sink.port, "/snapshot.jpg").status == 503
    finally:
        sink.close()


def test_a_client_that_never_reads_does_not_slow_the_pipeline(server: MjpegServerSink) -> None:
    stalled = get(server.port, "/stream.mjpg")  # never read from again
    frames = random_frames(4, size=(640, 480))
    start = time.perf_counter()
    for i in range(300):
        server.write(frames[i % 4])
    assert time.perf_counter() - start < 0.3  # storing only: no encoding, no waiting on clients
    start = time.perf_counter()
    server.close()
    assert time.perf_counter() - start < 2.0
    stalled.close()


@pytest.mark.parametrize(("host", "local"), [("localhost", True), ("127.0.0.9", True), ("::1", True), ("[::1]", True), ("0.0.0.0", False), ("evil.example", False), ("localhost.evil.example", False)])
def test_is_loopback(host: str, local: bool) -> None:
    assert is_loopback(host) is local
