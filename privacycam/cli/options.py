"""Command-line options shared by the live, process, bench, batch and tray commands, and
their translation into the app's objects: the :class:`Mode`, the :class:`FilterConfig`,
the remembered :class:`Settings`."""

from __future__ import annotations

import argparse
from typing import Any

from privacycam.app.settings import Settings, load_settings, merge
from privacycam.config import (
    DEFAULT_BUDGET_MS,
    DEFAULT_HALO_STRENGTH,
    DEFAULT_MIN_PSNR_DB,
    DEFAULT_ON_FAILURE,
    DEFAULT_REFINE_STEPS,
    DEFAULT_UNREFINED_GAIN,
    ON_FAILURE,
    FilterConfig,
)
from privacycam.errors import PrivacyCamError
from privacycam.modes import Mode, parse_mode


def add_filter_arguments(parser: argparse.ArgumentParser, default_mode: str | None = "spoof-hr 75") -> None:
    """--mode MODE [BPM], --editor, --refine-steps, --budget-ms, --min-psnr, --halo, --unrefined-gain,
    --on-failure, --seed."""
    parser.add_argument(
        "--mode",
        nargs="+",
        metavar=("MODE", "BPM"),
        default=default_mode.split() if default_mode else None,
        help="off | erase | spoof-hr BPM | spoof-wave FILE (a recorded PPG: CSV, one value per frame or time,value rows) "
        "| deidentify | deidentify+spoof-hr BPM"
        + (f" (default: {default_mode})" if default_mode else ""),
    )
    parser.add_argument(
        "--editor",
        default="auto",
        help="pulse editor: auto (the best measured per mode: learned for spoof-hr, spectral for erase) | learned | spectral (default: auto)",
    )
    parser.add_argument(
        "--refine-steps",
        type=int,
        default=DEFAULT_REFINE_STEPS,
        metavar="K",
        help="Privacy-Phys refine steps per plan against differentiable attackers; fewer when the budget "
        f"is short, 0 = off (default: {DEFAULT_REFINE_STEPS})",
    )
    parser.add_argument(
        "--budget-ms",
        type=float,
        default=DEFAULT_BUDGET_MS,
        metavar="MS",
        help="live: time per plan for planning + refine; a refined plan later than this is discarded and "
        f"counted as a miss (default: {DEFAULT_BUDGET_MS:g})",
    )
    parser.add_argument(
        "--min-psnr",
        type=float,
        default=DEFAULT_MIN_PSNR_DB,
        metavar="DB",
        help="refine keeps the PSNR of the face region an attacker crops (a square 1.5x the face) at least "
        "this; whole frames score higher (higher: fainter edits, weaker against the hardest estimators; "
        f"0 = no floor) (default: {DEFAULT_MIN_PSNR_DB:g})",
    )
    parser.add_argument(
        "--halo",
        type=float,
        default=DEFAULT_HALO_STRENGTH,
        metavar="K",
        help="spoof-hr: continue the skin's target onto the pixels around it, in the square an attacker crops, "
        "at K times its relative colour change, e.g. 0.4 (faint; cheaper than a louder skin edit against "
        "estimators that read a box around the face, but ~0.5 dB of PSNR); 0 = edit the skin only "
        f"(default: {DEFAULT_HALO_STRENGTH:g})",
    )
    parser.add_argument(
        "--unrefined-gain",
        type=float,
        default=DEFAULT_UNREFINED_GAIN,
        metavar="G",
        help="spoof-hr: a plan sent without refine (refine off, skipped under load, late) injects G times "
        f"louder than the editor plans it; 1 = as planned (default: {DEFAULT_UNREFINED_GAIN:g})",
    )
    parser.add_argument(
        "--on-failure",
        choices=ON_FAILURE,
        default=None,
        help="what to send when a face is visible but cannot be protected: passthrough (unedited; leaks the "
        "pulse), blur (face box under a still mosaic), freeze (repeat the last protected frame for up to 1 s, "
        f"then blur) (default: {DEFAULT_ON_FAILURE})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the target pulse and dithering")


def filter_config(args: argparse.Namespace, **fields: Any) -> FilterConfig:
    """The :class:`FilterConfig` of the refine, halo, ``--on-failure`` and ``--seed`` options
    (checked), with ``fields`` on top (e.g. the frame rate, or a remembered ``on_failure``)."""
    steps = getattr(args, "refine_steps", DEFAULT_REFINE_STEPS)
    if steps < 0:
        raise PrivacyCamError(f"--refine-steps must be 0 or more, got {steps}")
    budget = getattr(args, "budget_ms", DEFAULT_BUDGET_MS)
    if budget <= 0:
        raise PrivacyCamError(f"--budget-ms must be positive, got {budget:g}")
    floor = getattr(args, "min_psnr", DEFAULT_MIN_PSNR_DB)
    if floor < 0:
        raise PrivacyCamError(f"--min-psnr must be 0 (no floor) or more, got {floor:g}")
    halo = getattr(args, "halo", DEFAULT_HALO_STRENGTH)
    if halo < 0:
        raise PrivacyCamError(f"--halo must be 0 (skin only) or more, got {halo:g}")
    gain = getattr(args, "unrefined_gain", DEFAULT_UNREFINED_GAIN)
    if gain <= 0:
        raise PrivacyCamError(f"--unrefined-gain must be positive, got {gain:g}")
    options = {
        "unrefined_gain": gain,
        "refine_steps": steps,
        "refine_budget_ms": budget,
        "refine_min_psnr_db": floor or None,
        "halo_strength": halo,
        "on_failure": getattr(args, "on_failure", None) or DEFAULT_ON_FAILURE,
        "seed": getattr(args, "seed", 0),
    }
    return FilterConfig(**{**options, **fields})


def mode_from_args(values: list[str]) -> Mode:
    """Parse ``--mode`` values such as ``['spoof-hr', '90']`` or ``['erase']``."""
    if not values or len(values) > 2:
        raise PrivacyCamError("--mode takes a mode name and, for spoof-hr, a heart rate: --mode spoof-hr 90")
    if len(values) == 2 and values[0].lower().endswith("spoof-wave"):
        return parse_mode(values[0], wave=values[1])
    bpm = None
    if len(values) == 2:
        if "spoof-hr" not in values[0].lower():
            raise PrivacyCamError(
                f"mode {values[0]!r} takes no heart rate, got {values[1]!r}: use --mode {values[0]} alone, "
                f"or --mode spoof-hr {values[1]} to show that rate"
            )
        try:
            bpm = float(values[1])
        except ValueError:
            raise PrivacyCamError(f"heart rate must be a number, got {values[1]!r}") from None
    return parse_mode(values[0], bpm)


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the live filter (also used by ``privacycam tray``)."""
    add_filter_arguments(parser, default_mode=None)
    parser.add_argument("--list-cameras", action="store_true", help="list the cameras that can be opened and exit")
    parser.add_argument("--camera", help="camera index or device path (default: remembered, else 0)")
    parser.add_argument("--width", type=int, help="capture width (default: remembered, else 640)")
    parser.add_argument("--height", type=int, help="capture height (default: remembered, else 480)")
    parser.add_argument("--fps", type=int, help="capture frame rate (default: remembered, else 30)")
    parser.add_argument("--preview", action="store_true", default=None, help="show a preview window")
    parser.add_argument("--mjpeg-port", type=int, help="also serve the output as MJPEG on 127.0.0.1:PORT")
    parser.add_argument("--no-virtual-camera", action="store_true", help="do not open the virtual camera")
    parser.add_argument("--stats", action="store_true", help="log a health line every 2 seconds")
    parser.add_argument("--tray", action="store_true", help="run with the tray icon")


def live_settings(args: argparse.Namespace) -> tuple[Settings, Mode]:
    """The remembered settings with the command-line flags on top, and the mode to start in
    (``--mode``, else the remembered one)."""
    overrides = {k: getattr(args, k, None) for k in ("camera", "width", "height", "fps", "on_failure", "mjpeg_port", "preview")}
    settings = merge(load_settings(), overrides)
    mode = mode_from_args(args.mode) if getattr(args, "mode", None) else settings.to_mode()
    return settings, mode


def add_crf_argument(parser: argparse.ArgumentParser) -> None:
    """--crf: the constant-quality setting of .mp4 (H.264) and .webm (VP9) outputs."""
    from privacycam.io.video_files import CODECS

    parser.add_argument(
        "--crf",
        type=int,
        help=f"quality of .mp4 (H.264, default {CODECS['.mp4'][2]}) and .webm (VP9, default {CODECS['.webm'][2]}) "
        "outputs: lower is better and larger; .mkv/.avi are always lossless",
    )
