"""The .mp4 (H.264) and .webm (VP9) that PrivacyCam writes play in a browser: headless
Chromium loads each file in a <video>, seeks to 1.5 s and shows the frame of that time
(read back from the page and from a screenshot). Skipped when Chromium is not installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from privacycam.io.video_files import VideoFileSink

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
W, H, FPS = 160, 120, 25.0
COLOURS_BGR = [(0, 0, 255), (0, 255, 0), (255, 0, 0)]  # one second each: red, green, blue
PAGE = """<!doctype html><html><body style="margin:0;background:#fff">
<video id="v" src="{name}" muted preload="auto" width="{w}" height="{h}"></video>
<canvas id="c" width="{w}" height="{h}" style="display:none"></canvas>
<script>
const v = document.getElementById("v");
v.addEventListener("loadeddata", () => {{ v.currentTime = 1.5; }});
v.addEventListener("seeked", () => {{
  const c = document.getElementById("c").getContext("2d");
  c.drawImage(v, 0, 0);
  const p = c.getImageData({x}, {y}, 1, 1).data;
  document.body.dataset.pixel = [p[0], p[1], p[2]].join(",");
}});
v.addEventListener("error", () => {{ document.body.dataset.error = String(v.error && v.error.code); }});
</script></body></html>"""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt install chromium)")


def chromium(page: Path, *args: str) -> str:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
               "--virtual-time-budget=5000", f"--window-size={W},{H}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm"])
def test_output_plays_and_seeks_in_chromium(tmp_path: Path, name: str) -> None:
    with VideoFileSink(tmp_path / name, FPS, (W, H)) as sink:
        for index in range(int(3 * FPS)):
            sink.write(np.full((H, W, 3), COLOURS_BGR[int(index // FPS)], np.uint8))
    page = tmp_path / "page.html"
    page.write_text(PAGE.format(name=name, w=W, h=H, x=W // 2, y=H // 2))
    dom = chromium(page, "--dump-dom")
    pixel = re.search(r'data-pixel="(\d+),(\d+),(\d+)"', dom)
    assert pixel, f"the browser did not show a frame: {re.search(r'<body[^>]*>', dom).group(0)}"
    assert np.abs(np.array(pixel.groups(), int) - (0, 255, 0)).max() < 12  # RGB green: the frame at 1.5 s
    shot = tmp_path / "shot.png"
    chromium(page, f"--screenshot={shot}")
    image = cv2.imread(str(shot))
    assert np.abs(image[H // 2, W // 2].astype(int) - COLOURS_BGR[1]).max() < 12
