"""No telemetry, no network calls: filtering a video opens no connection. (The MJPEG server's
loopback-only binding and Host checks are tested in test_io_sinks.py.)"""

from __future__ import annotations

import socket

import cv2

from privacycam.app.process import process_file
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode


def test_filtering_makes_no_network_connection(tmp_path, monkeypatch):
    attempts: list[object] = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network use is not allowed here")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    clip = tmp_path / "in.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"FFV1"), 30.0, (320, 240))
    for frame in SyntheticSource(320, 240, frames=20):
        writer.write(frame.image)
    writer.release()
    result = process_file(clip, tmp_path / "out.mkv", parse_mode("spoof-hr", 80.0), progress=False)
    assert result.frames == 20 and attempts == []
