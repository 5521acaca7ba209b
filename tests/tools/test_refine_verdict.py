"""Refine's equal-PSNR verdict (benchmarks/refine_verdict.py) on hand-made editor_comparison rows."""

from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))  # the script imports editor_comparison beside it
import refine_verdict  # noqa: E402

TARGETS = (60.0, 90.0, 120.0, 150.0)


def rows_of(clip: str, config: str, psnr: float, shares: dict[str, float], mae: float = 1.0) -> list[dict]:
    """One row per estimator and target: every target at the estimator's share."""
    return [
        {"clip": clip, "editor": config, "mode": "spoof-hr", "bpm": bpm, "estimator": name,
         "within_target": share, "target_mae": mae / max(share, 0.1), "psnr_db": psnr - 0.1 * i}
        for name, share in shares.items() for i, bpm in enumerate(TARGETS)
    ]


def clip_rows(clip: str = "a", refined: dict[str, float] | None = None) -> list[dict]:
    alone = {"pbv": 0.1, "green": 0.2, "ica": 0.3, "chrom": 0.9, "pos": 1.0}
    return [
        *rows_of(clip, "learned", 56.0, alone),
        *rows_of(clip, "learned*2", 46.5, {"pbv": 0.6, "green": 0.9, "ica": 0.5, "chrom": 1.0, "pos": 1.0}),
        *rows_of(clip, "learned*3", 45.0, {"pbv": 0.8, "green": 1.0, "ica": 0.6, "chrom": 1.0, "pos": 1.0}),
        *rows_of(clip, "learned*4", 43.0, {"pbv": 0.9, "green": 1.0, "ica": 0.9, "chrom": 1.0, "pos": 1.0}),
        *rows_of(clip, "learned+r8", 45.5, refined or {"pbv": 0.9, "green": 1.0, "ica": 0.9, "chrom": 1.0, "pos": 1.0}),
    ]


def test_the_louder_baseline_is_the_faintest_one_no_fainter_than_refine_and_the_hardest_come_from_the_autoencoder():
    rows = clip_rows()
    # refine's worst PSNR is 45.2: learned*2 (46.2) is fainter, learned*3 (44.7) the closest at or below
    assert refine_verdict.matched_louder(rows, "a", "learned", "learned+r8") == "learned*3"
    assert refine_verdict.hardest_estimators(rows, "a", "learned", 3) == ("pbv", "green", "ica")
    (verdict,) = refine_verdict.clip_verdicts(rows, "learned", "learned+r8", 3)
    assert verdict.louder == "learned*3" and verdict.outcome == "beats"
    assert abs(verdict.louder_score.share - (0.8 + 1.0 + 0.6) / 3) < 1e-9


def test_refine_that_trades_one_hard_estimator_for_another_is_judged_on_the_pool_and_shown_losing_per_estimator():
    worse = {"pbv": 0.8, "green": 0.7, "ica": 0.6, "chrom": 1.0, "pos": 1.0}  # green 1.0 -> 0.7, the rest as louder
    rows = clip_rows(refined=worse)
    (verdict,) = refine_verdict.clip_verdicts(rows, "learned", "learned+r8", 3)
    assert verdict.outcome == "loses"
    text = refine_verdict.report(rows, "learned", "learned+r8", 3)
    assert "| a | green | 100% / 1.00 | 70% / 1.43 | loses |" in text
    assert "ica (held out)" in text and "pbv (held out)" not in text
    assert "the hardest estimators: louder 80.0% / 1.31, learned+r8 70.0% / 1.45: refine loses" in text
    assert text.endswith("held out of refine: louder 60.0% / 1.67, learned+r8 60.0% / 1.67: refine ties")


def test_pooled_over_clips_and_no_verdict_without_a_louder_run_at_or_below_refine():
    tie = {"pbv": 0.8, "green": 1.0, "ica": 0.6, "chrom": 1.0, "pos": 1.0}  # exactly learned*3's shares
    rows = clip_rows("a") + clip_rows("b", refined=tie)
    verdicts = refine_verdict.clip_verdicts(rows, "learned", "learned+r8", 3)
    assert [v.outcome for v in verdicts] == ["beats", "ties"]
    louder, refined = refine_verdict.pooled(rows, verdicts, "learned+r8")
    assert refine_verdict.pooled(rows, verdicts, "learned+r8", held_out=True)[0].share == 0.6  # ica alone
    assert refined.beaten_by(louder) == "loses" and louder.beaten_by(refined) == "beats"
    # a higher share at a higher MAE (or the reverse) is neither a win nor a loss
    fewer_closer, more_farther = refine_verdict.Score(0.9, 1.0), refine_verdict.Score(1.0, 1.1)
    assert fewer_closer.beaten_by(more_farther) == more_farther.beaten_by(fewer_closer) == "mixed"
    no_match = [r for r in rows if r["clip"] == "a" and r["editor"] in ("learned", "learned*2", "learned+r8")]
    assert refine_verdict.clip_verdicts(no_match, "learned", "learned+r8", 3) == []
    assert refine_verdict.report(no_match, "learned", "learned+r8", 3).startswith("no clip has")
