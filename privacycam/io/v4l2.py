"""Video4Linux device discovery from sysfs and /dev (roots injectable for tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SYS_ROOT = Path("/sys")
DEV_ROOT = Path("/dev")
VIRTUAL_CAMERA_NAME = "PrivacyCam"
MODPROBE_OPTIONS = f"devices=1 card_label={VIRTUAL_CAMERA_NAME} exclusive_caps=1"
MODPROBE_COMMAND = f"sudo modprobe v4l2loopback {MODPROBE_OPTIONS}"

_VIDEO_NODE = re.compile(r"video(\d+)$")


@dataclass(frozen=True)
class VideoDevice:
    """A ``/dev/videoN`` node; ``name`` is the sysfs card name ("" when unknown)."""

    index: int
    path: Path
    name: str

    @property
    def exists(self) -> bool:
        """Whether the device node is present under the dev root."""
        return self.path.exists()


def video_devices(sys_root: Path = SYS_ROOT, dev_root: Path = DEV_ROOT) -> list[VideoDevice]:
    """Every videoN known to sysfs or present in ``dev_root``, sorted by N."""
    names: dict[int, str] = {}
    class_dir = sys_root / "class" / "video4linux"
    for entry in class_dir.glob("video*") if class_dir.is_dir() else ():
        match = _VIDEO_NODE.match(entry.name)
        if match:
            names[int(match.group(1))] = _read_name(entry / "name")
    for node in dev_root.glob("video*") if dev_root.is_dir() else ():
        match = _VIDEO_NODE.match(node.name)
        if match:
            names.setdefault(int(match.group(1)), "")
    return [VideoDevice(i, dev_root / f"video{i}", names[i]) for i in sorted(names)]


def virtual_camera_device(sys_root: Path = SYS_ROOT, dev_root: Path = DEV_ROOT) -> VideoDevice | None:
    """The v4l2loopback device labelled PrivacyCam, if sysfs knows one."""
    return next((dev for dev in video_devices(sys_root, dev_root) if dev.name == VIRTUAL_CAMERA_NAME), None)


def loopback_module_loaded(sys_root: Path = SYS_ROOT) -> bool:
    """Whether the v4l2loopback kernel module is loaded."""
    return (sys_root / "module" / "v4l2loopback").is_dir()


def _read_name(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""
