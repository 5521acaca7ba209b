"""Pulse editor configurations side by side in one run, per estimator.

A configuration is an editor name with optional refine settings joined by ``+``:
``learned``, ``spectral``, ``spectral+r8`` (8 Privacy-Phys refine steps per plan),
``spectral+r8+psnr0`` (refine without its PSNR floor; ``psnrDB`` sets it),
``learned+r8+halo0`` (spoof-hr edits the skin only; ``haloK`` sets the halo's strength),
``spectral+r40+ica`` (ICA added to the refine's attackers: ``privacycam process --quality max``);
``spectral*1.5`` is the spectral editor injecting 1.5x louder (refine off), a baseline at the
PSNR of a refined run (``learned*1.5``: the learned editor's injection 1.5x louder).
For each clip, configuration and mode (spoof-hr 60/90/120/150, erase): ``process_file``
(lossless output) then ``evaluate`` with every installed estimator. Writes the raw numbers as
JSON and prints a Markdown table (share of 10-s windows within ±3 bpm of the target per
spoof run; |Pearson r| with the original waveform and share of windows within ±5 bpm of the
original HR for erase; worst whole-frame PSNR/SSIM over the runs).

    .venv/bin/python benchmarks/editor_comparison.py --clips evm_face lp_d14                 # learned vs spectral
    .venv/bin/python benchmarks/editor_comparison.py --configs spectral spectral+r8 \
        --json benchmarks/results/refine_comparison.json                                    # refine off vs on
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from privacycam.app.process import process_file
from privacycam.config import DEFAULT_HALO_STRENGTH, DEFAULT_MIN_PSNR_DB, RECORDING_SUFFIX, REFINE_ATTACKERS, FilterConfig
from privacycam.editors.base import Editor
from privacycam.editors.composite import with_identity
from privacycam.editors.learned import LearnedEditor
from privacycam.editors.spectral import SpectralEditor
from privacycam.evaluation.report import evaluate
from privacycam.modes import parse_mode
from privacycam.rppg.recording import recording_attacker

MODES = (("spoof-hr", 60.0), ("spoof-hr", 90.0), ("spoof-hr", 120.0), ("spoof-hr", 150.0), ("erase", None))


@dataclass(frozen=True)
class Config:
    """One configuration: the editor (a ``--editor`` name or an editor) and its refine settings."""

    editor: str | Editor
    steps: int = 0
    min_psnr_db: float | None = DEFAULT_MIN_PSNR_DB
    attackers: tuple[str, ...] = REFINE_ATTACKERS
    halo_strength: float = DEFAULT_HALO_STRENGTH


def parse_config(config: str) -> Config:
    """``spectral+r8`` -> the spectral editor with 8 refine steps; ``+psnr0`` / ``+psnr40``: no
    PSNR floor / a 40-dB one; ``+halo0`` / ``+halo1``: no halo / one at the skin's relative
    target change; ``+ica``: ICA among the refine's attackers (``+recica``: ICA fitted on the
    whole recording sent); ``+norec``: no attacker fitted on the recording;
    ``spectral*1.5`` / ``learned*1.5``: an editor injecting 1.5x louder (a baseline at the PSNR of a refined run);
    ``learned@runs/x``: the learned editor with the weights ``privacycam train --out runs/x`` wrote."""
    editor, *options = config.split("+")
    name, _, gain = editor.partition("*")
    name, _, run_dir = name.partition("@")
    chosen: str | Editor = name
    if run_dir:  # weights of a training run (``privacycam train --out``), not the shipped ones
        if name != "learned":
            raise ValueError(f"only the learned editor takes a training run: {config}")
        chosen = with_identity(LearnedEditor(Path(run_dir) / "pulse_editor.onnx", Path(run_dir) / "pulse_editor.pt"))
    elif gain and name == "spectral":
        defaults = SpectralEditor()
        chosen = with_identity(SpectralEditor(inject_rel=defaults.inject_rel * float(gain), outshout=defaults.outshout * float(gain)))
    elif gain and name == "learned":
        chosen = with_identity(LearnedEditor(inject_gain=float(gain)))
    elif gain:
        raise ValueError(f"only the spectral and learned editors take a gain: {config}")
    settings = Config(chosen)
    for option in options:
        if option.startswith("r") and option[1:].isdigit():
            settings = replace(settings, steps=int(option[1:]))
        elif option.startswith("psnr"):
            settings = replace(settings, min_psnr_db=float(option[4:]) or None)
        elif option.startswith("halo"):
            settings = replace(settings, halo_strength=float(option[4:]))
        elif option in ("ica", "recica"):  # ICA on the recent frames / on the whole recording sent
            ica = "ica" if option == "ica" else "ica" + RECORDING_SUFFIX
            settings = replace(settings, attackers=(*settings.attackers, ica))
        elif option == "norec":  # no attacker fitted on the whole recording
            settings = replace(settings, attackers=tuple(a for a in settings.attackers if recording_attacker(a) is None))
        else:
            raise ValueError(f"unknown option {option!r} in {config}")
    return settings


def run(clips: list[Path], configs: list[str], modes: list[tuple[str, float | None]], work: Path) -> list[dict]:
    """One row per (clip, configuration, mode, estimator)."""
    rows = []
    for clip in clips:
        for config in configs:
            settings = parse_config(config)
            for mode_name, bpm in modes:
                out = work / f"{clip.stem}_{config.replace('/', '_')}_{mode_name}_{bpm}.mkv"
                start = time.perf_counter()
                config = FilterConfig(
                    on_failure="passthrough", refine_steps=settings.steps, refine_min_psnr_db=settings.min_psnr_db,
                    refine_attackers=settings.attackers, halo_strength=settings.halo_strength,
                )
                result = process_file(clip, out, parse_mode(mode_name, bpm), config, settings.editor, progress=False)
                refine = result.report.stats.refine
                result = evaluate(clip, out, target_bpm=bpm)
                print(f"{clip.stem} {config} {mode_name} {bpm}: {time.perf_counter() - start:.0f} s"
                      + (f" ({refine.line()})" if refine else ""), flush=True)
                for e in result.estimators:
                    rows.append({
                        "clip": clip.stem, "editor": config, "mode": mode_name, "bpm": bpm, "estimator": e.name,
                        "within_target": e.within_target, "target_mae": e.target_mae, "abs_pearson_r": abs(e.pearson_r),
                        "within_target_2bpm": _share_within(e.windows_filtered, bpm, 2.0) if bpm else None,
                        "within_original": e.within_original, "hr_original": e.hr_original, "hr_filtered": e.hr_filtered,
                        "psnr_db": result.fidelity.psnr_db, "ssim": result.fidelity.ssim,
                    })
                out.unlink()
    return rows


def _share_within(readings: list[float], target: float, tolerance: float) -> float:
    """Share of window readings within ``tolerance`` bpm of ``target`` (the ±2-bpm check of ``--quality max``)."""
    return sum(abs(r - target) <= tolerance for r in readings) / max(1, len(readings))


def row_key(row: dict) -> tuple:
    """What a row is of: (clip, configuration, mode, bpm, estimator)."""
    return row["clip"], row["editor"], row["mode"], row["bpm"], row["estimator"]


def load_rows(paths: list[Path]) -> list[dict]:
    """The rows of earlier runs' JSON files; a later file's row replaces an earlier one of the
    same clip, configuration, mode and estimator."""
    keyed = {}
    for path in paths:
        for r in json.loads(path.read_text()):
            keyed[row_key(r)] = r
    return list(keyed.values())


def table(rows: list[dict], clip: str, configs: list[str]) -> str:
    """Markdown table for one clip: one value per configuration in each cell, in ``configs`` order."""
    estimators = list(dict.fromkeys(r["estimator"] for r in rows if r["clip"] == clip))

    def cell(estimator: str, mode: str, bpm: float | None, key: str, fmt: str) -> str:
        values = []
        for editor in configs:
            match = [r for r in rows if row_key(r) == (clip, editor, mode, bpm, estimator)]
            values.append(format(match[0][key], fmt) if match else "–")
        return " / ".join(values)

    head = "| estimator | spoof 60 | spoof 90 | spoof 120 | spoof 150 | erase \\|r\\| | erase ±5 bpm |"
    lines = [head, "|" + "---|" * 7]
    for name in estimators:
        spoof = [cell(name, "spoof-hr", bpm, "within_target", ".0%") for _, bpm in MODES[:4]]
        lines.append(f"| {name} | " + " | ".join(spoof) + f" | {cell(name, 'erase', None, 'abs_pearson_r', '.2f')}"
                     f" | {cell(name, 'erase', None, 'within_original', '.0%')} |")
    for editor in configs:
        mine = [r for r in rows if r["clip"] == clip and r["editor"] == editor]
        if not mine:
            continue
        lines.append(f"\n{editor}: worst whole-frame PSNR {min(r['psnr_db'] for r in mine):.1f} dB, "
                     f"worst SSIM {min(r['ssim'] for r in mine):.4f}")
    return "\n".join(lines)


def hardest(rows: list[dict], clip: str, configs: list[str]) -> str:
    """Markdown table of the estimators that the first configuration fools least (below 100 %
    of windows within ±3 bpm over the four targets): mean share within ±3 bpm / mean MAE (bpm)
    per configuration, each headed by its worst whole-frame PSNR (to compare at equal PSNR)."""
    spoof = [r for r in rows if r["clip"] == clip and r["mode"] == "spoof-hr"]

    def mean(editor: str, estimator: str, key: str) -> float | None:
        values = [r[key] for r in spoof if (r["editor"], r["estimator"]) == (editor, estimator)]
        return sum(values) / len(values) if values else None

    def cell(editor: str, estimator: str) -> str:
        share = mean(editor, estimator, "within_target")
        return "–" if share is None else f"{share:.0%} / {mean(editor, estimator, 'target_mae'):.1f}"

    psnr = {c: min((r["psnr_db"] for r in spoof if r["editor"] == c), default=None) for c in configs}
    heads = [c if psnr[c] is None else f"{c} ({psnr[c]:.1f} dB)" for c in configs]
    lines = ["| estimator | " + " | ".join(heads) + " |", "|" + "---|" * (len(configs) + 1)]
    for name in dict.fromkeys(r["estimator"] for r in spoof):
        if (mean(configs[0], name, "within_target") or 0.0) < 1.0:
            lines.append(f"| {name} | " + " | ".join(cell(c, name) for c in configs) + " |")
    return "\n".join(lines) if len(lines) > 2 else "none: every estimator reads every target in every window"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["evm_face", "lp_d14"])
    parser.add_argument("--configs", nargs="+", default=["learned", "spectral"], help="e.g. spectral spectral+r8")
    parser.add_argument("--modes", nargs="+", default=[f"{m}:{b or ''}" for m, b in MODES],
                        help="mode:bpm items, e.g. spoof-hr:90 erase: (default: spoof 60/90/120/150 and erase)")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "clips")
    parser.add_argument("--json", type=Path, nargs="+", default=[Path(__file__).parent / "results" / "editor_comparison.json"],
                        help="where to write the rows (one file); with --tables, the earlier runs to read (a later "
                        "file's row replaces an earlier one of the same clip, configuration, mode and estimator)")
    parser.add_argument("--tables", action="store_true",
                        help="print the tables of earlier runs' --json files, run nothing (process output is "
                        "reproducible, so configurations from separate runs compare as if run together)")
    args = parser.parse_args()
    if args.tables:
        rows = load_rows(args.json)
    else:
        if len(args.json) != 1:
            parser.error("--json takes one file to write (several only with --tables)")
        with tempfile.TemporaryDirectory() as work:
            modes = [(name, float(bpm) if bpm else None) for name, _, bpm in (m.partition(":") for m in args.modes)]
            rows = run([args.data / f"{name}.mp4" for name in args.clips], args.configs, modes, Path(work))
        args.json[0].parent.mkdir(parents=True, exist_ok=True)
        args.json[0].write_text(json.dumps(rows, indent=1) + "\n")
    for clip in args.clips:
        print(f"\n### {clip} ({' / '.join(args.configs)})\n\n{table(rows, clip, args.configs)}")
        print(f"\nEstimators {args.configs[0]} fools least:\n\n{hardest(rows, clip, args.configs)}")


if __name__ == "__main__":
    main()
