"""setup-camera against faked sysfs/dev trees, the real (device-less) machine, and
the Windows/macOS path."""

from __future__ import annotations

import argparse
import grp
import os
import platform
from pathlib import Path

import pytest
import pyvirtualcam

from privacycam.errors import VideoOutputError
from privacycam.io import setup_camera
from privacycam.io.setup_camera import check_virtual_camera
from privacycam.io.v4l2 import MODPROBE_COMMAND

PERSISTENT_OPTIONS = "options v4l2loopback devices=1 card_label=PrivacyCam exclusive_caps=1"


def fake_tree(tmp_path: Path, name: str | None = "PrivacyCam", node: bool = True, module: bool = True) -> tuple[Path, Path]:
    """sys/ and dev/ roots with an integrated camera at video0 and, if ``name``, a loopback at video2."""
    sys_root, dev_root = tmp_path / "sys", tmp_path / "dev"
    dev_root.mkdir(parents=True)
    cameras = {0: "Integrated Camera"} | ({2: name} if name else {})
    for index, label in cameras.items():
        entry = sys_root / "class" / "video4linux" / f"video{index}"
        entry.mkdir(parents=True)
        (entry / "name").write_text(label + "\n")
        if node or index == 0:
            (dev_root / f"video{index}").touch()
    if module:
        (sys_root / "module" / "v4l2loopback").mkdir(parents=True)
    return sys_root, dev_root


def cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="privacycam")
    setup_camera.register(parser.add_subparsers())
    return parser.parse_args(argv)


def test_no_module_explains_install_load_persist_and_pitfalls(tmp_path: Path) -> None:
    sys_root, dev_root = fake_tree(tmp_path, name=None, module=False)
    report = check_virtual_camera(system="Linux", sys_root=sys_root, dev_root=dev_root)
    text = report.text()
    assert not report.ready and report.device is None
    for expected in (
        MODPROBE_COMMAND,
        "v4l2loopback-dkms",
        "/etc/modules-load.d/v4l2loopback.conf",
        "/etc/modprobe.d/v4l2loopback.conf",
        PERSISTENT_OPTIONS,
        "Black or frozen picture",
        "must exist before the video app starts",
        "exclusive_caps=1 is needed for Chrome",
    ):
        assert expected in text


def test_module_loaded_without_our_label_says_reload(tmp_path: Path) -> None:
    sys_root, dev_root = fake_tree(tmp_path, name="Dummy video device (0x0000)")
    report = check_virtual_camera(system="Linux", sys_root=sys_root, dev_root=dev_root)
    assert not report.ready
    assert "no device is labelled PrivacyCam" in report.text()
    assert f"sudo modprobe -r v4l2loopback && {MODPROBE_COMMAND}" in report.text()


def test_device_present_and_usable_is_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sys_root, dev_root = fake_tree(tmp_path)
    report = check_virtual_camera(system="Linux", sys_root=sys_root, dev_root=dev_root, access=lambda _p: True)
    assert report.ready and report.device == str(dev_root / "video2")
    args = cli(["setup-camera", "--sys-root", str(sys_root), "--dev-root", str(dev_root)])  # real access check
    assert args.func(args) == 0
    assert f"PrivacyCam virtual camera ready: {dev_root / 'video2'}" in capsys.readouterr().out


def test_sysfs_entry_without_device_node_is_reported(tmp_path: Path) -> None:
    sys_root, dev_root = fake_tree(tmp_path, node=False)
    report = check_virtual_camera(system="Linux", sys_root=sys_root, dev_root=dev_root)
    assert not report.ready and f"{dev_root / 'video2'} is missing" in report.text()


def test_wrong_permissions_suggest_the_video_group(tmp_path: Path) -> None:
    sys_root, dev_root = fake_tree(tmp_path)
    node = dev_root / "video2"
    try:
        video_gid = grp.getgrnam("video").gr_gid
        os.chown(node, -1, video_gid)
    except (KeyError, PermissionError):
        pytest.skip("cannot give the fake node to a 'video' group here")
    checked: list[Path] = []
    report = check_virtual_camera(
        system="Linux", sys_root=sys_root, dev_root=dev_root, access=lambda p: checked.append(p) or False
    )
    assert checked == [node] and not report.ready and report.device == str(node)
    assert "wrong permissions" in report.text()
    assert "sudo usermod -aG video $USER" in report.text() and "chgrp" not in report.text()


def test_root_group_node_gets_handed_to_video_first(tmp_path: Path) -> None:
    sys_root, dev_root = fake_tree(tmp_path)
    node = dev_root / "video2"
    if grp.getgrgid(node.stat().st_gid).gr_name != "root":
        pytest.skip("files created here do not belong to group root")
    report = check_virtual_camera(system="Linux", sys_root=sys_root, dev_root=dev_root, access=lambda _p: False)
    assert f"sudo chgrp video {node} && sudo chmod g+rw {node}" in report.text()
    assert "sudo usermod -aG video $USER" in report.text()


@pytest.mark.skipif(platform.system() != "Linux" or list(Path("/dev").glob("video*")), reason="needs Linux without video devices")
def test_this_machine_has_no_device(capsys: pytest.CaptureFixture[str]) -> None:
    args = cli(["setup-camera"])
    assert args.func(args) == 1
    assert MODPROBE_COMMAND in capsys.readouterr().out


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_windows_and_macos_explain_obs_virtual_camera(system: str) -> None:
    def no_camera() -> str:
        raise VideoOutputError("no virtual camera available")

    report = check_virtual_camera(system=system, probe=no_camera)
    assert not report.ready
    assert "OBS Virtual Camera" in report.text() and "Start Virtual Camera" in report.text()
    assert "modprobe" not in report.text()


def test_obs_virtual_camera_found_through_the_real_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default probe opens VirtualCameraSink; a recorder stands in for OBS's device."""
    opened: list[tuple[int, int]] = []

    class ObsCamera:
        def __init__(self, width: int, height: int, fps: float, *, fmt: object, device: str | None = None) -> None:
            opened.append((width, height))
            self.device = "OBS Virtual Camera"

        def close(self) -> None:
            opened.append((0, 0))

    monkeypatch.setattr(platform, "system", lambda: "Windows")
    monkeypatch.setattr(pyvirtualcam, "Camera", ObsCamera)
    report = check_virtual_camera()
    assert report.ready and report.device == "OBS Virtual Camera" and opened == [(320, 240), (0, 0)]
