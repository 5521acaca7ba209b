"""The filter's configuration: one object and the one set of defaults every command uses.

Importable without torch or OpenCV: the command line's options and ``--help`` read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ON_FAILURE = ("passthrough", "blur", "freeze")
# Privacy first without stalling the call: see privacycam.render.failsafe for the reasoning.
DEFAULT_ON_FAILURE = "freeze"
DEFAULT_REFINE_STEPS = 8  # Privacy-Phys refine steps per plan (privacycam.editors.refine)
DEFAULT_BUDGET_MS = 150.0  # live: time for plan + refine; a later refined plan is discarded
DEFAULT_MIN_PSNR_DB = 43.0  # PSNR floor of the largest attacker box (whole frames: ~45 dB and up on the shared clips)
# spoof-hr: a plan published without refine (refine off, skipped under load, late, or too early in
# the stream) injects this much louder. Alone, the learned editor as trained is too faint for talking
# heads (lp_d20: 4 of 7 competent attackers at 59.9 dB); 2x keeps whole frames at 45 dB and up: the
# louder editor matched refine's PSNR at 2.1-4.5x on the six clips, 2.1x on the tuning clip lp_d14
# (docs/benchmarks.md, "Refine at equal PSNR" and "Learned editor").
DEFAULT_UNREFINED_GAIN = 2.0
DEFAULT_HALO_STRENGTH = 0.0  # off: at 0.4 (x the skin's relative target change) two clips fall under 45 dB
# Live, the planner thread runs this much nicer than the per-frame path, which then preempts
# planning and refine when both want a core: lower tail latency for a few more late plans
# (docs/benchmarks.md, "Live speed").
PLANNER_NICENESS = 10

# An attacker that fits its colour mix on the whole recording sent, not on the recent frames
# (privacycam.rppg.recording), is named "<estimator>" + RECORDING_SUFFIX.
RECORDING_SUFFIX = "@recording"
# Live, LGI, OMIT, ICA and the deep estimators are held out. ICA in the live ensemble (its
# unmixing held for a plan's steps) helped ICA on lp_d6 but diluted the rest: GREEN on lp_d14
# 91 -> 81 % of windows, PBV 59 -> 44 % (measured at 75dc65a); ``process --quality max`` adds it.
# PBV fitted on the whole recording sent as well as on the recent frames: what PBV reads on a
# recorded call.
REFINE_ATTACKERS = ("green", "chrom", "pos", "pbv", "pbv" + RECORDING_SUFFIX)
QUALITY_MAX_STEPS = 40  # refine steps per plan with process --quality max (nothing is live, so time is free)
# ICA both ways: with PBV fitted on the recording too, ICA alone let evm_face read 123.5 at 120 bpm (measured at ae2ffbe)
QUALITY_MAX_ATTACKERS = (*REFINE_ATTACKERS, "ica", "ica" + RECORDING_SUFFIX)


@dataclass(frozen=True)
class FilterConfig:
    """Everything that tunes the filter besides its mode and editor; the defaults are the product's."""

    canonical_size: int = 64
    window_s: float = 8.0  # history kept for planning
    plan_every: int = 10  # frames between planner runs (S)
    crossfade_frames: int = 10  # blend length across plan seams
    fps: float = 30.0  # nominal; sizes the ring and the decoy filter
    asynchronous: bool = True  # planner in a worker thread (live) or inline (file mode)
    on_failure: str = DEFAULT_ON_FAILURE  # what to send when a face is present but cannot be protected
    freeze_max_s: float = 1.0  # "freeze" repeats the last protected frame this long, then conceals
    seed: int = 0
    refine_steps: int = DEFAULT_REFINE_STEPS  # Privacy-Phys refine steps per plan (0: off)
    refine_budget_ms: float = DEFAULT_BUDGET_MS  # live: time for plan + refine
    refine_horizon: int = 30  # frames a refined plan covers (the planner replans every plan_every)
    refine_min_psnr_db: float | None = DEFAULT_MIN_PSNR_DB  # refine keeps the largest attacker box at this PSNR
    refine_attackers: tuple[str, ...] = REFINE_ATTACKERS  # the differentiable estimators refine works against
    unrefined_gain: float = DEFAULT_UNREFINED_GAIN  # spoof-hr: plans published without refine inject this much louder
    planner_niceness: int = PLANNER_NICENESS  # live: the planner thread yields the cores to the frames (0: same priority)
    halo_strength: float = DEFAULT_HALO_STRENGTH  # spoof-hr: the skin's target on the pixels around it, x this (0: skin only)

    def at_quality_max(self) -> FilterConfig:
        """This configuration as ``process --quality max`` runs it: at least
        :data:`QUALITY_MAX_STEPS` refine steps, ICA added to the attackers."""

        return replace(self, refine_steps=max(self.refine_steps, QUALITY_MAX_STEPS), refine_attackers=QUALITY_MAX_ATTACKERS)
