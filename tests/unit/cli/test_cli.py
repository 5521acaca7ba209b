"""The command line as a new user meets it: fast --help, a description per command, early errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from privacycam.cli.main import COMMANDS, build_parser, chosen_command, main


def _imported_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from privacycam.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(m for m in ('torch', 'mediapipe', 'cv2', 'onnxruntime') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return set(done.stdout.split("\n")[-2].split())


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["tray", "--help"], ["bench", "--help"]])
def test_help_loads_no_model_library(argv: list[str]) -> None:
    assert _imported_after(argv) == set()


def test_the_command_is_found_among_options() -> None:
    assert chosen_command(["-v", "demo", "--out", "x"]) == "demo"
    assert chosen_command(["--mode", "erase", "--camera", "1"]) is None


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_plain_text_description(command: str) -> None:
    parser = build_parser(command)
    sub = parser._subparsers._group_actions[0].choices[command]
    assert sub.description and "``" not in sub.description, command
    assert sub.get_default("func") is not None


def test_a_heart_rate_for_a_mode_without_one_is_rejected_before_the_camera(capsys) -> None:
    assert main(["--mode", "erase", "90", "--camera", "/nonexistent/video9"]) == 2
    err = capsys.readouterr().err
    assert "mode 'erase' takes no heart rate" in err and "--mode spoof-hr 90" in err and "camera" not in err.split("heart rate")[0]


def test_an_unknown_output_extension_fails_before_any_model_loads(tmp_path) -> None:
    clip = tmp_path / "in.mp4"
    clip.write_bytes(b"not read: the output is refused first")
    code = "\n".join([
        "import sys",
        "from privacycam.cli import main",
        f"code = main(['process', {str(clip)!r}, {str(tmp_path / 'out.xyz')!r}, '--mode', 'erase'])",
        "print('onnxruntime' in sys.modules, code)",
    ])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "2"], done.stdout + done.stderr  # ONNX Runtime (the models) never loaded
    assert "end OUT in one of .avi, .mkv, .mp4, .webm" in done.stderr
