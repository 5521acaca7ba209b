"""``privacycam setup-camera``: check the PrivacyCam virtual camera and say exactly what to do.

Linux: looks for a v4l2loopback device labelled PrivacyCam (sysfs card names under
``/sys/class/video4linux``), checks that its ``/dev/videoN`` node is readable and
writable, and prints the commands that fix what is missing. Windows/macOS: tries to
open the OBS Virtual Camera and explains how to install it.

Known pitfalls (also printed):

* Black or frozen picture: the app opened the camera before PrivacyCam started sending,
  or another program left a different format on the device. PrivacyCam sends BGR that
  pyvirtualcam converts to a YUV format (I420/YUYV) every app reads. Start PrivacyCam
  first; if it persists, reload the module.
* The device must exist before the video app starts: apps list cameras once at start.
* ``exclusive_caps=1`` is needed for Chrome and other WebRTC browsers to list the device.
"""

from __future__ import annotations

import argparse
import grp
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from privacycam.errors import VideoOutputError
from privacycam.io.sinks import VirtualCameraSink
from privacycam.io.v4l2 import (
    DEV_ROOT,
    MODPROBE_COMMAND,
    MODPROBE_OPTIONS,
    SYS_ROOT,
    VIRTUAL_CAMERA_NAME,
    loopback_module_loaded,
    virtual_camera_device,
)

INSTALL_HINT = "Install the module (Debian/Ubuntu): sudo apt install v4l2loopback-dkms"
PERSIST_HINT = (
    "Load it at every boot:",
    "  echo v4l2loopback | sudo tee /etc/modules-load.d/v4l2loopback.conf",
    f'  echo "options v4l2loopback {MODPROBE_OPTIONS}" | sudo tee /etc/modprobe.d/v4l2loopback.conf',
)
PITFALLS = (
    "Pitfalls:",
    "  - Black or frozen picture: start PrivacyCam before the video app (it sends BGR that pyvirtualcam",
    "    converts to a YUV format apps read); if another program changed the device's format, reload the module.",
    "  - The device must exist before the video app starts; restart the app (or browser) after loading the module.",
    "  - exclusive_caps=1 is needed for Chrome and other WebRTC browsers to list the camera.",
)


@dataclass
class SetupReport:
    """The verdict: ``ready`` when PrivacyCam can send to a virtual camera."""

    ready: bool
    lines: list[str] = field(default_factory=list)
    device: str | None = None

    def text(self) -> str:
        return "\n".join(self.lines)


def _can_read_write(path: Path) -> bool:
    return os.access(path, os.R_OK | os.W_OK)


def _open_virtual_camera() -> str:
    """Open and close the virtual camera once; its device name."""
    sink = VirtualCameraSink(320, 240, 30)
    sink.close()
    return sink.device


def check_virtual_camera(
    *,
    system: str | None = None,
    sys_root: Path = SYS_ROOT,
    dev_root: Path = DEV_ROOT,
    access: Callable[[Path], bool] = _can_read_write,
    probe: Callable[[], str] = _open_virtual_camera,
) -> SetupReport:
    """Check the virtual camera. ``access`` tells whether this user may read and write
    a device node; ``probe`` opens the camera on Windows/macOS (both replaceable in tests)."""
    if (system or platform.system()) != "Linux":
        return _check_obs(probe)
    dev = virtual_camera_device(sys_root, dev_root)
    if dev is None:
        if loopback_module_loaded(sys_root):
            lines = [
                f"v4l2loopback is loaded, but no device is labelled {VIRTUAL_CAMERA_NAME}.",
                "Reload it with the right options (close apps using the camera first):",
                f"  sudo modprobe -r v4l2loopback && {MODPROBE_COMMAND}",
            ]
        else:
            lines = [
                f"No {VIRTUAL_CAMERA_NAME} virtual camera: the v4l2loopback kernel module is not loaded.",
                INSTALL_HINT,
                f"Load it now: {MODPROBE_COMMAND}",
                "(With Secure Boot, 'Key was rejected by service' means the DKMS module must be signed: enroll its key with mokutil.)",
            ]
        return SetupReport(False, [*lines, *PERSIST_HINT, *PITFALLS])
    if not dev.exists:
        return SetupReport(False, [
            f"sysfs lists {VIRTUAL_CAMERA_NAME} as video{dev.index}, but {dev.path} is missing; check udev, or reload:",
            f"  sudo modprobe -r v4l2loopback && {MODPROBE_COMMAND}",
        ])
    if not access(dev.path):
        return SetupReport(False, [
            f"{VIRTUAL_CAMERA_NAME} is {dev.path}, but you cannot read and write it (wrong permissions).",
            *_permission_fix(dev.path),
        ], str(dev.path))
    return SetupReport(True, [f"{VIRTUAL_CAMERA_NAME} virtual camera ready: {dev.path}", *PERSIST_HINT, *PITFALLS], str(dev.path))


def _permission_fix(node: Path) -> list[str]:
    """Join the group that owns ``node`` (normally 'video'); a root-group node goes to 'video' first."""
    gid = node.stat().st_gid
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    lines = []
    if group == "root":
        group = "video"
        lines.append(f"{node} belongs to group root; hand it to 'video': sudo chgrp video {node} && sudo chmod g+rw {node}")
    return [*lines, f"Add yourself to the '{group}' group, then log out and back in:", f"  sudo usermod -aG {group} $USER"]


def _check_obs(probe: Callable[[], str]) -> SetupReport:
    try:
        device = probe()
    except VideoOutputError:
        return SetupReport(False, [
            "No virtual camera could be opened.",
            "On Windows and macOS PrivacyCam sends to OBS Virtual Camera:",
            "  1. Install OBS Studio (https://obsproject.com), version 28 or newer on macOS.",
            "  2. In OBS click 'Start Virtual Camera' once (macOS asks to allow the system extension), then stop it.",
            "  3. In your video app choose the camera 'OBS Virtual Camera'.",
        ])
    return SetupReport(True, [f"Virtual camera ready: {device} (choose 'OBS Virtual Camera' in your video app)"], device)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``setup-camera`` subcommand; its handler is ``args.func``."""
    parser = subparsers.add_parser(
        "setup-camera",
        help="check the PrivacyCam virtual camera and explain how to set it up",
        description="Check the PrivacyCam virtual camera and say exactly what to do to set it up.",
    )
    parser.add_argument("--sys-root", type=Path, default=SYS_ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--dev-root", type=Path, default=DEV_ROOT, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; exit status 0 when the virtual camera is ready, else 1."""
    report = check_virtual_camera(sys_root=args.sys_root, dev_root=args.dev_root)
    print(report.text())
    return 0 if report.ready else 1
