"""Does refine beat the autoencoder made louder, at equal or better PSNR?

Reads ``benchmarks/editor_comparison.py`` runs (its JSON rows) that hold, per clip, the
autoencoder alone (``--autoencoder``, e.g. ``learned``), refine on (``--refined``, e.g.
``learned+r8``) and the autoencoder made louder (``learned*k``, one gain or several), all on
the spoof-hr targets. Per clip:

- the louder baseline: of the ``learned*k`` runs whose worst whole-frame PSNR is at or below
  refine's, the one with the highest PSNR (the closest match that is no fainter than refine);
- the estimators the autoencoder alone fools least: the ``--hardest`` ones with the lowest
  share of windows within ±3 bpm of the target over the targets (ties: the higher MAE);
  those held out of refine's ensemble are marked;
- over those estimators and the targets, the mean share and the mean MAE, louder vs refined.

Refine beats on a clip when its share is higher and its MAE lower, ties when the shares are
equal, loses when its share is lower and its MAE higher, and is mixed otherwise (share and MAE
disagree). Pooled over every clip, estimator and target (each weighs the
same), the same rule gives the verdict of the run (every configuration in one run on the same clips),
and once more over the estimators held out of refine's ensemble alone.

    .venv/bin/python benchmarks/refine_verdict.py --json benchmarks/results/spoof_*.json
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from editor_comparison import load_rows

from privacycam.config import REFINE_ATTACKERS
from privacycam.rppg.recording import recording_attacker

# the estimators refine works against live; every other one is held out of its ensemble
REFINED_AGAINST = frozenset(recording_attacker(name) or name for name in REFINE_ATTACKERS)


@dataclass(frozen=True)
class Score:
    """Mean share of windows within ±3 bpm of the target and mean MAE (bpm) of some spoof runs."""

    share: float
    mae: float

    def beaten_by(self, other: Score) -> str:
        """``beats`` / ``ties`` / ``loses`` / ``mixed``: how ``other`` fares against this score."""
        if other.share == self.share:
            return "ties"
        if (other.share > self.share) == (other.mae < self.mae):
            return "beats" if other.share > self.share else "loses"
        return "mixed"


@dataclass(frozen=True)
class ClipVerdict:
    """One clip: the matched louder baseline, the hardest estimators, both scores over them."""

    clip: str
    louder: str
    louder_psnr: float
    refined_psnr: float
    estimators: tuple[str, ...]
    louder_score: Score
    refined_score: Score

    @property
    def outcome(self) -> str:
        return self.louder_score.beaten_by(self.refined_score)


def spoof_rows(rows: list[dict], clip: str, config: str, estimators: tuple[str, ...] | None = None) -> list[dict]:
    """The spoof-hr rows of one clip and configuration (of ``estimators`` only, if given)."""
    return [
        r for r in rows
        if r["clip"] == clip and r["editor"] == config and r["mode"] == "spoof-hr"
        and (estimators is None or r["estimator"] in estimators)
    ]


def score(selected: list[dict]) -> Score:
    """Mean share and MAE over ``selected`` rows (each row one estimator at one target)."""
    if not selected:
        raise ValueError("no runs to score")
    return Score(
        sum(r["within_target"] for r in selected) / len(selected),
        sum(r["target_mae"] for r in selected) / len(selected),
    )


def worst_psnr(rows: list[dict], clip: str, config: str) -> float:
    """The lowest whole-frame PSNR over a configuration's spoof runs on a clip."""
    return min(r["psnr_db"] for r in spoof_rows(rows, clip, config))


def matched_louder(rows: list[dict], clip: str, autoencoder: str, refined: str) -> str | None:
    """The louder autoencoder run with the highest worst PSNR at or below refine's; None if none is."""
    limit = worst_psnr(rows, clip, refined)
    louder = {
        r["editor"] for r in rows
        if r["clip"] == clip and r["editor"].startswith(autoencoder + "*") and "+" not in r["editor"]
    }
    matched = [(psnr, c) for c in louder if (psnr := worst_psnr(rows, clip, c)) <= limit]
    return max(matched)[1] if matched else None


def hardest_estimators(rows: list[dict], clip: str, autoencoder: str, count: int) -> tuple[str, ...]:
    """The ``count`` estimators the autoencoder alone fools least on a clip."""
    names = {r["estimator"] for r in spoof_rows(rows, clip, autoencoder)}
    scores = {name: score(spoof_rows(rows, clip, autoencoder, (name,))) for name in names}
    return tuple(sorted(names, key=lambda n: (scores[n].share, -scores[n].mae, n))[:count])


def clip_verdicts(rows: list[dict], autoencoder: str, refined: str, count: int) -> list[ClipVerdict]:
    """A verdict per clip that has all three kinds of run, in the rows' clip order."""
    verdicts = []
    for clip in dict.fromkeys(r["clip"] for r in rows):
        if not spoof_rows(rows, clip, autoencoder) or not spoof_rows(rows, clip, refined):
            continue
        louder = matched_louder(rows, clip, autoencoder, refined)
        if louder is None:
            continue
        estimators = hardest_estimators(rows, clip, autoencoder, count)
        verdicts.append(ClipVerdict(
            clip, louder, worst_psnr(rows, clip, louder), worst_psnr(rows, clip, refined), estimators,
            score(spoof_rows(rows, clip, louder, estimators)), score(spoof_rows(rows, clip, refined, estimators)),
        ))
    return verdicts


def pooled(rows: list[dict], verdicts: list[ClipVerdict], refined: str, held_out: bool = False) -> tuple[Score, Score] | None:
    """Louder and refined scores over every clip's hardest estimators (``held_out``: only those
    held out of refine's ensemble) and every target; None when there are none."""
    def chosen(v: ClipVerdict) -> tuple[str, ...]:
        return tuple(e for e in v.estimators if not held_out or e not in REFINED_AGAINST)

    louder = [r for v in verdicts for r in spoof_rows(rows, v.clip, v.louder, chosen(v))]
    mine = [r for v in verdicts for r in spoof_rows(rows, v.clip, refined, chosen(v))]
    return (score(louder), score(mine)) if louder and mine else None


def report(rows: list[dict], autoencoder: str, refined: str, count: int) -> str:
    """Markdown: a line per clip, a line per (clip, hardest estimator), and the pooled verdict."""
    verdicts = clip_verdicts(rows, autoencoder, refined, count)
    if not verdicts:
        return f"no clip has {autoencoder}, {refined} and a louder {autoencoder}*k at or below its PSNR"

    def named(estimator: str) -> str:
        return estimator if estimator in REFINED_AGAINST else f"{estimator} (held out)"

    def cell(s: Score, digits: int = 0) -> str:
        return f"{s.share:.{digits}%} / {s.mae:.2f}"

    lines = [
        f"| clip | louder (worst PSNR) | {refined} (worst PSNR) | the {count} estimators {autoencoder} alone fools least "
        "| louder: share / MAE | refined: share / MAE | refine |",
        "|" + "---|" * 7,
    ]
    for v in verdicts:
        lines.append(
            f"| {v.clip} | {v.louder} ({v.louder_psnr:.2f} dB) | {v.refined_psnr:.2f} dB | "
            f"{', '.join(named(e) for e in v.estimators)} | {cell(v.louder_score)} | {cell(v.refined_score)} | {v.outcome} |"
        )
    lines += ["", "| clip | estimator | louder: share / MAE | refined: share / MAE | refine |", "|" + "---|" * 5]
    for v in verdicts:
        for estimator in v.estimators:
            before = score(spoof_rows(rows, v.clip, v.louder, (estimator,)))
            after = score(spoof_rows(rows, v.clip, refined, (estimator,)))
            lines.append(f"| {v.clip} | {named(estimator)} | {cell(before)} | {cell(after)} | {before.beaten_by(after)} |")
    lines.append("")
    for held_out, which in ((False, "the hardest estimators"), (True, "those of them held out of refine")):
        if (scores := pooled(rows, verdicts, refined, held_out)) is not None:
            louder, mine = scores
            lines.append(f"pooled over {len(verdicts)} clips, {which}: louder {cell(louder, 1)}, {refined} {cell(mine, 1)}: "
                         f"refine {louder.beaten_by(mine)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, nargs="+", required=True, help="editor_comparison.py runs")
    parser.add_argument("--autoencoder", default="learned")
    parser.add_argument("--refined", default="learned+r8")
    parser.add_argument("--hardest", type=int, default=3, help="how many of the estimators the autoencoder fools least")
    args = parser.parse_args()
    print(report(load_rows(args.json), args.autoencoder, args.refined, args.hardest))


if __name__ == "__main__":
    main()
