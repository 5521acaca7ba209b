"""The batch's report: a terminal summary, ``batch_report.json``/``.csv`` (one row per file)
and, with ``--eval``, one plot of every file's heart-rate readings (original vs filtered)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

REPORT_NAME = "batch_report"
PLOT_NAME = "batch_hr.png"
CSV_COLUMNS = (
    "input", "output", "mode", "target", "status", "skipped", "reason", "frames", "seconds", "fps", "psnr_db",
    "protected", "refine_plans", "refine_steps", "eval_verdict", "sha256", "worker",
)


def write_report(out_dir: Path, records: list[dict], summary: dict) -> list[Path]:
    """Write the JSON (``summary`` + every record), the CSV and, when records carry eval
    readings, the HR plot into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{REPORT_NAME}.json"
    json_path.write_text(json.dumps({"summary": summary, "files": records}, indent=1) + "\n")
    csv_path = out_dir / f"{REPORT_NAME}.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            refine = record.get("refine") or {}
            writer.writerow(
                {
                    **record,
                    "skipped": bool(record.get("skipped")),
                    "refine_plans": refine.get("plans"),
                    "refine_steps": refine.get("steps"),
                    "eval_verdict": (record.get("eval") or {}).get("verdict"),
                }
            )
    written = [json_path, csv_path]
    evaluated = [r for r in records if r.get("eval")]
    if evaluated:
        written.append(plot_heart_rates(evaluated, out_dir / PLOT_NAME))
    return written


def plot_heart_rates(records: list[dict], path: Path) -> Path:
    """One row per file: each estimator's HR on the original (blue) and the output (red), target marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 1.2 + 0.45 * len(records)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for row, record in enumerate(records):
        readings = np.array(list(record["eval"]["hr"].values()), dtype=float).reshape(-1, 2)
        axes.plot(readings[:, 0], np.full(len(readings), row - 0.12), "o", color="tab:blue", ms=5, alpha=0.7,
                  label="original" if row == 0 else None)
        axes.plot(readings[:, 1], np.full(len(readings), row + 0.12), "s", color="tab:red", ms=5, alpha=0.7,
                  label="filtered" if row == 0 else None)
        if record.get("target") is not None and "spoof-hr" in str(record["mode"]):
            axes.plot([record["target"]] * 2, [row - 0.35, row + 0.35], color="black", lw=1.5,
                      label="target" if row == 0 else None)
    axes.set_yticks(range(len(records)), [f"{Path(r['input']).name} ({r['mode']})" for r in records])
    axes.invert_yaxis()
    axes.set_xlabel("heart rate read by each estimator (bpm)")
    axes.set_title("batch: what rPPG estimators read, original vs filtered")
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path, dpi=110)
    return path


def summary_table(records: list[dict]) -> str:
    """One line per file and a total line, for the terminal."""
    lines = [f"{'file':<32} {'status':<8} {'frames':>6} {'fps':>6} {'PSNR':>7}  detail"]
    for r in records:
        status = "skipped" if r.get("skipped") else r["status"]
        detail = r.get("reason") or (r.get("eval") or {}).get("verdict") or ""
        psnr = f"{r['psnr_db']:.2f}" if r.get("psnr_db") is not None else "-"
        fps = f"{r['fps']:.1f}" if r.get("fps") else "-"
        lines.append(f"{Path(r['input']).name[:32]:<32} {status:<8} {r.get('frames', 0):>6} {fps:>6} {psnr:>7}  {detail}")
    return "\n".join(lines)
