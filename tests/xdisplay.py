"""A private X server (Xvfb) with a system-tray host (trayer) for the tray tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


PANEL = (96, 32)  # trayer's width and height


@dataclass(frozen=True)
class XDisplay:
    name: str  # e.g. ":7"
    width: int
    height: int
    panel: tuple[int, int, int, int]  # x, y, w, h of the tray host

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        """Run an X client (xdotool, import) on this display."""
        env = {**os.environ, "DISPLAY": self.name}
        return subprocess.run(argv, env=env, check=True, capture_output=True, timeout=20)

    def screenshot(self, path: Path, crop: tuple[int, int, int, int] | None = None, zoom: int = 1) -> Path:
        """Save the screen (or ``crop`` = x, y, w, h of it, scaled by ``zoom``) as PNG."""
        args = ["import", "-window", "root"]
        if crop:
            x, y, w, h = crop
            args += ["-crop", f"{w}x{h}+{x}+{y}", "+repage"]
        if zoom != 1:
            args += ["-filter", "point", "-resize", f"{zoom * 100}%"]
        self.run(*args, str(path))
        return path


def missing_tools() -> list[str]:
    """The X programs these tests need that are not installed."""
    return [tool for tool in ("Xvfb", "trayer", "xdotool", "import") if shutil.which(tool) is None]


@contextmanager
def x_display(width: int = 480, height: int = 360) -> Iterator[XDisplay]:
    """Start Xvfb on a free display number (``-displayfd``) with trayer docked bottom right."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    display = XDisplay(f":{number}", width, height, (width - PANEL[0], height - PANEL[1], *PANEL))
    trayer = subprocess.Popen(
        ["trayer", "--edge", "bottom", "--align", "right", "--widthtype", "pixel", "--width", str(PANEL[0]),
         "--heighttype", "pixel", "--height", str(PANEL[1]), "--tint", "0x303030", "--transparent", "true", "--alpha", "0"],
        env={**os.environ, "DISPLAY": display.name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    try:
        yield display
    finally:
        for proc in (trayer, xvfb):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
