"""Command-line options shared by the live, process, bench and tray commands."""

from __future__ import annotations

import argparse

from privacycam.errors import PrivacyCamError
from privacycam.filter_defaults import DEFAULT_MIN_PSNR_DB, DEFAULT_ON_FAILURE, ON_FAILURE
from privacycam.modes import Mode, parse_mode
from privacycam.stream.halo import DEFAULT_HALO_STRENGTH


DEFAULT_REFINE_STEPS = 8
DEFAULT_BUDGET_MS = 150.0


def add_filter_arguments(parser: argparse.ArgumentParser, default_mode: str | None = "spoof-hr 75") -> None:
    """--mode MODE [BPM], --editor, --refine-steps, --budget-ms, --min-psnr, --halo, --on-failure, --seed."""
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
        "--on-failure",
        choices=ON_FAILURE,
        default=None,
        help="what to send when a face is visible but cannot be protected: passthrough (unedited; leaks the "
        "pulse), blur (face box under a still mosaic), freeze (repeat the last protected frame for up to 1 s, "
        f"then blur) (default: {DEFAULT_ON_FAILURE})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the target pulse and dithering")


def pipeline_settings(args: argparse.Namespace) -> dict[str, float | None]:
    """The :class:`~privacycam.stream.pipeline.PipelineConfig` fields of the refine and halo options."""
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
    return {"refine_steps": steps, "refine_budget_ms": budget, "refine_min_psnr_db": floor or None, "halo_strength": halo}


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


def make_editor(name: str):
    """The pulse editor named on the command line, combined with the de-identification
    editor for ``deidentify`` modes.

    ``auto`` is the editor that measures best with refine on, per mode (docs/benchmarks.md,
    "Erase"): today the learned one for spoof-hr, the spectral one
    for erase.
    """
    from privacycam.editors.composite import ByModeEditor, with_identity
    from privacycam.editors.learned import LearnedEditor
    from privacycam.editors.spectral import SpectralEditor

    if name == "auto":
        return with_identity(ByModeEditor(spoof=LearnedEditor(), erase=SpectralEditor()))
    if name == "learned":
        return with_identity(LearnedEditor())
    if name == "spectral":
        return with_identity(SpectralEditor())
    raise PrivacyCamError(f"unknown editor {name!r}: choose auto, learned or spectral")
