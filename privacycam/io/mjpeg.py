"""A local MJPEG stream of the filtered frames over HTTP (for a browser, OBS or VLC)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import cv2
import numpy as np

from privacycam.errors import VideoOutputError
from privacycam.frames import as_bgr
from privacycam.io.frame_sink import FrameSink

DEFAULT_PORT = 8765
_BOUNDARY = "privacycam-frame"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, IPv6 optionally in brackets) means this machine."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    """The host part of a Host header: ``[::1]:8765`` -> ``::1``, ``a:80`` -> ``a``."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header


class _LatestFrame:
    """The newest frame, JPEG-encoded on demand by readers; readers wait for a newer one.
    ``put`` never waits on encoding or on clients."""

    def __init__(self, quality: int) -> None:
        self._cond = threading.Condition()
        self._quality = quality
        self._image: np.ndarray | None = None
        self._seq = 0
        self._jpeg: tuple[int, bytes] = (0, b"")
        self.closed = False

    def put(self, image: np.ndarray) -> None:
        with self._cond:
            self._image = image
            self._seq += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_jpeg(self, after: int, timeout: float) -> tuple[int, bytes] | None:
        """(sequence number, JPEG) of a frame newer than ``after``; None on timeout or close."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.closed or self._seq > after, timeout) or self.closed:
                return None
            seq, image = self._seq, self._image
            if self._jpeg[0] == seq:
                return self._jpeg
        ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        jpeg = (seq, buffer.tobytes())
        with self._cond:
            if self._jpeg[0] < seq:
                self._jpeg = jpeg
        return jpeg


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a client that stops reading for this long is dropped

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self.server.allow_remote and not is_loopback(_host_name(self.headers.get("Host", ""))):
            self.send_error(403, "Host not allowed (PrivacyCam only answers requests for localhost)")
            return
        path = urlsplit(self.path).path
        if path == "/stream.mjpg":
            self._stream()
        elif path == "/snapshot.jpg":
            self._snapshot()
        else:
            self.send_error(404)

    def _snapshot(self) -> None:
        got = self.server.latest.wait_jpeg(0, timeout=self.server.first_frame_timeout)
        if got is None:
            self.send_error(503, "no frame yet")
            return
        self.send_response(200)
        self._no_cache_headers("image/jpeg")
        self.send_header("Content-Length", str(len(got[1])))
        self.end_headers()
        self.wfile.write(got[1])

    def _stream(self) -> None:
        self.send_response(200)
        self._no_cache_headers(f"multipart/x-mixed-replace; boundary={_BOUNDARY}")
        self.end_headers()
        seq = 0
        while not self.server.latest.closed:
            got = self.server.latest.wait_jpeg(seq, timeout=1.0)
            if got is None:
                continue
            seq, jpeg = got
            part = f"--{_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
            try:
                self.wfile.write(part + jpeg + b"\r\n")
            except OSError:  # client went away or stalled past the timeout
                return

    def _no_cache_headers(self, content_type: str) -> None:
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature from http.server
        """Silent: the stream's health is reported elsewhere."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, latest: _LatestFrame, allow_remote: bool, first_frame_timeout: float) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.latest = latest
        self.allow_remote = allow_remote
        self.first_frame_timeout = first_frame_timeout
        super().__init__((host, port), _Handler)


class MjpegServerSink(FrameSink):
    """Serves the newest frame over HTTP: MJPEG at ``/stream.mjpg``, one JPEG at
    ``/snapshot.jpg``, 404 for anything else.

    Only this computer can watch by default: the server binds a loopback address and
    refuses any other unless ``allow_remote=True``; requests whose Host header is not
    local are refused with 403 (DNS-rebinding protection) unless ``allow_remote``.
    Latest-frame semantics: ``write`` only stores the frame; each client's thread
    encodes and sends, and a slow client skips frames instead of blocking the pipeline.
    ``port=0`` picks a free port (see ``url``). A snapshot requested before the first
    frame waits up to ``first_frame_timeout`` seconds, then gets 503.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        allow_remote: bool = False,
        quality: int = 80,
        first_frame_timeout: float = 5.0,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise VideoOutputError(
                f"refusing to serve the video on {host}: other machines could watch it; use 127.0.0.1, "
                "or pass allow_remote=True (--allow-remote) if you mean to share it"
            )
        self._latest = _LatestFrame(quality)
        try:
            self._server = _Server(host, port, self._latest, allow_remote, first_frame_timeout)
        except OSError as err:
            raise VideoOutputError(f"cannot serve MJPEG on {host}:{port}: {err.strerror or err}") from err
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="privacycam-mjpeg", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The stream's address."""
        host = str(self._server.server_address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/stream.mjpg"

    def write(self, image: np.ndarray) -> None:
        self._latest.put(as_bgr(image).copy())

    def close(self) -> None:
        if self._latest.closed:
            return
        self._latest.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
