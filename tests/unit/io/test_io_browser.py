"""The .mp4 (H.264) and .webm (VP9) that PrivacyCam writes play in a browser: headless
Chromium loads each file in a <video>, seeks to 1.5 s and paints the decoded frame of that
time onto the page (read back from the page and from a screenshot). Chromium is driven over
the DevTools protocol on a pipe, so the test waits for the frame in real time instead of
guessing a delay. Skipped when Chromium is not installed."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from privacycam.io.video_files import VideoFileSink

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
W, H, FPS = 160, 120, 25.0
COLOURS_BGR = [(0, 0, 255), (0, 255, 0), (255, 0, 0)]  # one second each: red, green, blue
PAGE = """<!doctype html><html><body style="margin:0;background:#fff">
<video id="v" src="{name}" muted preload="auto" width="{w}" height="{h}" style="display:none"></video>
<canvas id="c" width="{w}" height="{h}" style="display:block"></canvas>
<script>
const v = document.getElementById("v");
v.addEventListener("loadeddata", () => {{ v.currentTime = 1.5; }});
v.addEventListener("seeked", () => {{
  const c = document.getElementById("c").getContext("2d");
  c.drawImage(v, 0, 0);
  const p = c.getImageData({x}, {y}, 1, 1).data;
  // report after two animation frames, once the painted canvas is on screen
  requestAnimationFrame(() => requestAnimationFrame(() => {{
    document.body.dataset.pixel = [p[0], p[1], p[2]].join(",");
  }}));
}});
v.addEventListener("error", () => {{ document.body.dataset.error = String(v.error && v.error.code); }});
</script></body></html>"""
STATE = "JSON.stringify(document.body ? {pixel: document.body.dataset.pixel || null, error: document.body.dataset.error || null} : {pixel: null, error: null})"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt install chromium)")


class DevTools:
    """Headless Chromium with its DevTools protocol on fds 3 (commands in) and 4 (replies out)."""

    def __init__(self, window: tuple[int, int]) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self._process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
             "--remote-debugging-pipe", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
             f"--window-size={window[0]},{window[1]}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire_pipes, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        page = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def call(self, method: str, session: bool = False, **params: object) -> dict:
        """Send one command and return its result (raises on a protocol error or after 30 s)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            if select.select([self._from_browser], [], [], 1.0)[0]:
                self._buffer += os.read(self._from_browser, 1 << 20)
        raise TimeoutError(f"Chromium did not answer {method} within 30 s")

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def wait_for_frame(browser: DevTools, seconds: float = 20.0) -> dict:
    """Poll the page until the seeked frame's pixel (or a media error) is on it."""
    deadline = time.monotonic() + seconds
    while True:
        state = json.loads(browser.call("Runtime.evaluate", session=True, expression=STATE)["result"]["value"])
        if state["pixel"] or state["error"] or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def painted_centre(browser: DevTools, seconds: float = 10.0) -> np.ndarray:
    """The BGR pixel at the page's centre in a screenshot, once something other than the
    white page background is painted there (or the last screenshot after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        png = base64.b64decode(browser.call("Page.captureScreenshot", session=True, format="png")["data"])
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[:2] == (H, W)
        centre = image[H // 2, W // 2].astype(int)
        if centre.min() < 250 or time.monotonic() > deadline:
            return centre
        time.sleep(0.1)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm"])
def test_output_plays_and_seeks_in_chromium(tmp_path: Path, name: str) -> None:
    with VideoFileSink(tmp_path / name, FPS, (W, H)) as sink:
        for index in range(int(3 * FPS)):
            sink.write(np.full((H, W, 3), COLOURS_BGR[int(index // FPS)], np.uint8))
    page = tmp_path / "page.html"
    page.write_text(PAGE.format(name=name, w=W, h=H, x=W // 2, y=H // 2))
    browser = DevTools((W, H))
    try:
        browser.call("Emulation.setDeviceMetricsOverride", session=True, width=W, height=H,
                     deviceScaleFactor=1, mobile=False)
        browser.call("Page.navigate", session=True, url=page.as_uri())
        state = wait_for_frame(browser)
        centre = painted_centre(browser)
    finally:
        browser.close()
    assert state["error"] is None, f"the browser could not play {name}: media error {state['error']}"
    assert state["pixel"], f"the browser showed no frame of {name} within 20 s"
    pixel = np.array(state["pixel"].split(","), int)
    assert np.abs(pixel - (0, 255, 0)).max() < 12  # RGB green: the frame at 1.5 s
    assert np.abs(centre - COLOURS_BGR[1]).max() < 12, f"the screenshot shows {centre} (BGR), not the green frame"
