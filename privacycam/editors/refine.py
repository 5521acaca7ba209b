"""Warm-started few-step Privacy-Phys refine of a plan.

Start from the editor's plan and take a few Adam steps of the Privacy-Phys objective on a
correction of the skin edit for the frames still to be sent. The loss sees what an attacker
will see: the frames already sent (original colour plus the edit the pipeline actually
applied, recorded in the window) followed by the planned frames (the forecast original
colour plus the plan's edit, cross-faded with the previous plan as the pipeline does, plus
the correction), read by an ensemble of differentiable estimators (ICA with its unmixing
held for the plan's steps; PBV also through the colour mix it fits on the whole recording
sent so far, :mod:`privacycam.rppg.recording`) in several views: the skin alone, and
face boxes of the frame as attackers crop them (the face, and a larger square like a face
detector's), whose non-skin part (eyes, lips, hair, neck, background) carries the real
pulse and cannot be edited. For spoof-hr, also a square held still while the head moves
(:mod:`privacycam.rppg.held_boxes`), as an attacker who detects the face only now and then.

The correction has nine parameters, per colour channel: a gain on the drive (``inject``:
more or less of the target, or of the erase decoy, uniform over the skin), a gain on the
forecast real pulse of the largest box (``cancel``: cancel on the skin what the unedited
parts still show) and a scale on the plan's own drive-borne edit (``rescale``: trade the
plan's injection, shaped like the real pulse, for the uniform one where that reads better).
Every estimator here reads the spatial average of a box, so an even offset reaches any box
in proportion to its skin at the least energy for a given change of the trace. Nine
parameters are well conditioned for a few steps, the correction is as smooth in time as the
drive and the pulse, and they carry over from plan to plan, so refine keeps improving over
a stream. In spoof-hr a channel of the injected target may not turn against the plan's
polarity (:func:`keep_pulse_polarity`): the attackers score |r|, so refine could reverse one
channel's target for a few plans, which the estimators that mix channels read as no pulse at
the target. The edit stays invisible by a floor on the PSNR of the largest attacker box
(``min_psnr_db``, on the detector-style square): the expected squared change of the skin's
pixels in the planned frames, dithering included, may not exceed what keeps that box at
the floor (the box holds the skin, and whole frames hold the box, so their PSNR is higher).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from privacycam.config import DEFAULT_MIN_PSNR_DB, REFINE_ATTACKERS
from privacycam.editors.base import Plan, Window, crossfade, crossfade_weight
from privacycam.editors.spectral import sinusoid_design
from privacycam.modes import Mode
from privacycam.pulse.colour import BLOOD_VOLUME_BGR
from privacycam.rppg.differentiable import ESTIMATORS, fft_bandpass, ica_fit, ica_with
from privacycam.rppg.objective import dominant_hz, peak_share, pearson, rival_share, share_near
from privacycam.rppg.recording import COLOUR_MIXES, SentRecording, recording_attacker, sent_view_colours

# in erase's loss ICA made ICA read the original rate more often (a development run on lp_d6:
# 50 % of windows vs 8 %): there the colour-channel term keeps the real pulse out of every colour mix
SPOOF_ONLY_ATTACKERS = ("ica",)
LEVEL_S = 1.0  # the skin weights of the coming frames: the mean mask of this much history
MIN_HISTORY_S = 1.0  # refine from this much history on: an attacker's window also holds the first seconds
FIT_S = 6.0  # the real pulse of a view is fitted over this much history
# spoof: weight of the strongest off-target peak's share (objective.rival_share); 1.0 against
# 0.5 and none over six clips and four targets: 21 / 23 / 24 windows off target (measured at 1086660)
RIVAL_WEIGHT = 1.0
# the first plan of a stream or mode starts from no correction: its steps may move each gain
# this far (grey levels), as far as three warm plans do (8 steps at lr 0.1). At lr 0.1 the first
# plan moved them under a grey level, and with the stream's first second unrefined too, a 7-s
# clip (lp_d20) read 56.75 bpm for a 60-bpm target (PBV); so: 57.25 (docs/benchmarks.md)
START_TRAVEL = 2.4


@dataclass(frozen=True)
class Lookahead:
    """The frames a new plan will edit: the window's newest frame first, then the coming ones.

    ``drive``: the mode's signal at each of ``timestamps`` (target pulse or erase decoy).
    """

    timestamps: np.ndarray  # (H,) seconds
    drive: np.ndarray  # (H,)


@dataclass
class RefineStats:
    """What refine did so far, for the stream's stats and the offline report."""

    plans: int = 0  # plans refined and used
    steps: int = 0  # gradient steps taken in those plans
    misses: int = 0  # plans whose refine ran past the budget: the unrefined plan was used
    skipped: int = 0  # plans not refined because the stream was overloaded
    step_ms: float = 0.0  # median time of one step over the recent steps
    loss_before: float = float("nan")  # mean objective over the refined plans, before and after refine
    loss_after: float = float("nan")

    def line(self) -> str:
        return (
            f"refine: {self.plans} plans, {self.steps} steps ({self.step_ms:.1f} ms/step), "
            f"loss {self.loss_before:.3f}→{self.loss_after:.3f}, misses {self.misses}, skipped {self.skipped}"
        )


@dataclass
class PulseFit:
    """A fitted pulse (fundamental + first harmonic) of a (T, 3) trace, evaluable at any time."""

    hz: float
    coef: np.ndarray  # (4, 3): cos/sin at hz, cos/sin at 2 hz, per channel
    scale: float  # its RMS over the fit, to normalise
    level: np.ndarray  # (3,) the fitted level (offset + trend) at the last fitted time

    def at(self, times: np.ndarray) -> np.ndarray:
        """(len(times), 3) pulse divided by ``scale``."""
        return sinusoid_design(np.asarray(times, np.float64), self.hz, 2)[:, 2:] @ self.coef / self.scale

    def continuation(self, times: np.ndarray) -> np.ndarray:
        """(len(times), 3) trace: the level held, plus the pulse."""
        return self.level + self.at(times) * self.scale


@dataclass
class RefinedPlan(Plan):
    """``base`` with its drive-borne part scaled per channel by 1 + ``rescale``, plus, on the
    skin, ``inject`` x drive + ``cancel`` x the normalised forecast pulse."""

    base: Plan
    inject: np.ndarray  # (3,) BGR grey levels per unit drive
    cancel: np.ndarray  # (3,) BGR grey levels per unit of the normalised pulse
    pulse: PulseFit | None
    rescale: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))  # (3,) BGR
    made_at: float = 0.0
    pulse_hz: float | None = None

    def __post_init__(self) -> None:
        self.made_at = self.base.made_at
        self.pulse_hz = self.base.pulse_hz
        self.region = self.base.region
        self.flow = self.base.flow  # deidentify's reshape rides along with the refined pulse

    def edit_at(self, timestamp: float, drive: float) -> np.ndarray:
        offset = self.inject * drive
        if self.pulse is not None:
            offset = offset + self.cancel * self.pulse.at(np.array([timestamp]))[0]
        edit = self.base.edit_at(timestamp, drive)
        if self.rescale.any():
            edit = edit + self.rescale * (edit - self.base.edit_at(timestamp, 0.0))
        return (edit + offset).astype(np.float32)


def skin_mean(edit: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """(3,) mean of a (g, g, 3) grid edit over the skin, weighted by (S, S) canonical ``skin``."""
    weights = cv2.resize(skin, edit.shape[1::-1], interpolation=cv2.INTER_AREA)
    return (edit * weights[..., None]).sum(axis=(0, 1)) / max(float(weights.sum()), 1e-6)


class TraceRefiner:
    """Adam on the plan's skin correction (see the module doc) against ``attackers`` (names
    of :data:`privacycam.rppg.differentiable.ESTIMATORS`, or of
    :data:`privacycam.rppg.recording.COLOUR_MIXES` + ``"@recording"``: fitted on all the
    frames this refiner has seen sent). Not thread-safe: one planner owns it.

    Loss: spoof-hr, mean over attackers and views of 1 − |r(attacker wave, drive)| +
    ``rival_weight`` x the share of the strongest peak more than 3 bpm from the target's
    (an estimator reads the spectral peak, and on a short window the real pulse a few bpm
    away can pull it off the target while r stays high); erase,
    |r(attacker wave, attacker wave of the original)| + ``near_weight`` x the share of its
    power within 6 bpm of the rate the original reads (a phase-shifted residual of the real
    pulse has a low r but the same rate) + ``peak_weight`` x dominant-peak share; both plus ``channel_weight`` x the mean |r| of each colour channel of each view
    with that channel of the original (the real pulse must leave every channel, or a blind
    colour mix such as ICA finds it; ICA itself is in the spoof loss only, with FastICA's
    unmixing fitted once per plan at the starting gains), ``fidelity`` x the mean square
    of the correction (grey levels²) and ``energy_weight`` x how far the planned frames'
    skin change exceeds what keeps the largest attacker box at ``min_psnr_db`` (relative;
    None: no floor).

    Each plan starts from the last plan's gains in the same mode and steps at ``lr``; the first
    plan of a stream or mode starts from none and steps at :attr:`start_lr`.
    """

    def __init__(
        self,
        steps: int = 8,
        attackers: tuple[str, ...] = REFINE_ATTACKERS,
        lr: float = 0.1,
        start_travel: float = START_TRAVEL,
        fidelity: float = 0.002,
        peak_weight: float = 0.3,
        near_weight: float = 1.0,
        channel_weight: float = 0.5,
        crossfade_frames: int = 10,
        max_gain: float = 8.0,
        min_psnr_db: float | None = DEFAULT_MIN_PSNR_DB,
        energy_weight: float = 2.0,
        max_rescale: float = 1.0,
        rival_weight: float = RIVAL_WEIGHT,
    ) -> None:
        unknown = [name for name in attackers if name not in ESTIMATORS and recording_attacker(name) not in COLOUR_MIXES]
        if unknown:
            raise ValueError(
                f"unknown refine attackers {unknown}; choose from {sorted(ESTIMATORS)} or {sorted(COLOUR_MIXES)} + '@recording'"
            )
        self.steps = steps
        self.attackers = tuple(attackers)
        self.lr, self.fidelity, self.peak_weight, self.channel_weight = lr, fidelity, peak_weight, channel_weight
        self.start_travel = start_travel
        self.near_weight = near_weight
        self.crossfade_frames = crossfade_frames
        self.max_gain = max_gain
        self.min_psnr_db, self.energy_weight = min_psnr_db, energy_weight
        self.max_rescale = max_rescale
        self.rival_weight = rival_weight
        self.stats = RefineStats()
        torch.set_num_threads(1)  # process-wide: small tensors; a second intra-op thread only contends on 2 cores
        self._step_times: deque[float] = deque(maxlen=16)
        self._warmed_up = False
        self._warm: tuple[Mode, np.ndarray] | None = None  # the last mode and its (3, 3) gains
        self.recording = SentRecording()

    def refine(
        self,
        plan: Plan,
        previous: Plan | None,
        window: Window,
        mode: Mode,
        lookahead: Lookahead,
        deadline: float | None = None,
    ) -> Plan:
        """The refined plan, or ``plan`` itself when refine does not apply or misses ``deadline``
        (a ``time.perf_counter()`` value; None: take all ``steps``, as offline)."""
        fps = window.fps
        self.recording.update(window)
        if not mode.edits_pulse or window.view_colours is None or self.steps <= 0 or len(window.timestamps) < MIN_HISTORY_S * fps:
            return plan
        warm = self._warm is not None and self._warm[0] == mode
        start_gains = self._warm[1] if warm else np.zeros((3, 3))
        problem, pulse, plan_colour = self._problem(plan, previous, window, mode, lookahead, start_gains)
        gains = torch.tensor(start_gains, dtype=torch.float64, requires_grad=True)
        optimiser = torch.optim.Adam([gains], lr=self.lr if warm else self.start_lr)
        steps, before = 0, float("nan")
        while steps < self.steps:
            # room for one more step and the closing evaluation (about half a step)? Without a step the
            # plan is a miss anyway, so the first one needs a median step's room; after that, a step
            # that overruns loses the steps before it, so later ones keep a slow step's room (on a noisy
            # host a median-sized margin made every few plans a miss)
            room_s = self._slow_step_s() if steps else self.stats.step_ms / 1000.0
            if deadline is not None and time.perf_counter() + 1.5 * room_s > deadline:
                break
            start = time.perf_counter()
            loss = problem(gains)
            if not torch.isfinite(loss):  # e.g. a flat trace: nothing to read, nothing to refine
                return plan
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                gains[:2].clamp_(-self.max_gain, self.max_gain)
                gains[2].clamp_(-1.0, self.max_rescale)  # the plan's own injection: from none to (1 + max) x
                if not mode.erase:
                    keep_pulse_polarity(gains, plan_colour)
            if self._warmed_up:  # the very first step pays one-off set-up costs: not a step time
                self._step_times.append((time.perf_counter() - start) * 1000.0)
                self.stats.step_ms = float(np.median(self._step_times))
            self._warmed_up = True
            if steps == 0:
                before = loss.item()
            steps += 1
        if steps:
            with torch.no_grad():
                after = problem(gains).item()
        if not steps or (deadline is not None and time.perf_counter() > deadline):
            self.stats.misses += 1
            return plan
        result = gains.detach().numpy().copy()
        self._warm = (mode, result)
        s = self.stats
        if not s.plans:
            s.loss_before = s.loss_after = 0.0
        s.loss_before += (before - s.loss_before) / (s.plans + 1)
        s.loss_after += (after - s.loss_after) / (s.plans + 1)
        s.plans += 1
        s.steps += steps
        inject, cancel, rescale = result.astype(np.float32)
        return RefinedPlan(plan, inject, cancel, pulse, rescale)

    @property
    def start_lr(self) -> float:
        """The first plan's learning rate: ``start_travel`` over its steps (Adam moves a parameter
        about lr per step), or ``lr`` if that is larger."""
        return max(self.lr, self.start_travel / max(self.steps, 1))

    def _slow_step_s(self) -> float:
        """A slow step's time (the 90th percentile of the recent ones), in seconds; 0 before any."""
        return float(np.quantile(self._step_times, 0.9)) / 1000.0 if self._step_times else 0.0

    def _problem(
        self,
        plan: Plan,
        previous: Plan | None,
        window: Window,
        mode: Mode,
        lookahead: Lookahead,
        start: np.ndarray,
    ) -> tuple[Callable[[torch.Tensor], torch.Tensor], PulseFit | None, torch.Tensor]:
        """The loss as a function of the (3, 3) gains, with everything else precomputed, the
        real pulse fitted on the largest view (what the ``cancel`` gains scale) and the (3,)
        skin-mean colour of the plan's edit per unit drive (:func:`drive_colour`). ICA's
        unmixing is found once, at the ``start`` gains, and held for the plan's steps.
        Erase leaves out the held boxes' views (``Window.held_views``): with them erase read
        the original's rate in more windows on four of six clips (measured at 7183e2d)."""
        if mode.erase and window.held_views:
            window = window.with_views([v for v in range(window.view_shares.shape[1]) if v not in window.held_views])
        fps = window.fps
        recent = max(1, int(round(LEVEL_S * fps)))
        skin = window.masks[-recent:].mean(axis=0)
        grids, borne, weights = planned_edits(plan, previous, lookahead, self.crossfade_frames)
        planned = np.stack([skin_mean(grid, skin) for grid in grids])
        borne_mean = torch.from_numpy(np.stack([skin_mean(grid, skin) for grid in borne]))  # (H, 3)
        energy = EditEnergy(grids, borne, skin)
        share = float(window.view_shares[-recent:, -1].mean())  # of the largest attacker box that is skin
        # a de-identification edit (plans over the whole face) sets the fidelity itself: no floor then
        floored = self.min_psnr_db is not None and plan.region == "skin"
        limit = skin_energy_limit(self.min_psnr_db, share) if floored else None
        weight = torch.tensor(weights, dtype=torch.float64)[:, None]
        drive_ahead = torch.from_numpy(lookahead.drive.astype(np.float64))[:, None]
        fixed, originals = [], []
        sent = sent_view_colours(window)
        for v in range(window.view_shares.shape[1]):
            original, share = window.view_colours[:, v], window.view_shares[-1, v]
            pulse = fit_pulse(original, window.timestamps, plan.pulse_hz)
            predicted = _continue(original, window.timestamps, lookahead.timestamps, pulse)
            fixed.append(np.concatenate([sent[:, v], predicted + share * planned]))
            originals.append(np.concatenate([original[:-1], predicted]))
        pulse_ahead = torch.from_numpy(pulse.at(lookahead.timestamps) if pulse else np.zeros((len(weights), 3)))
        fixed = torch.from_numpy(np.stack(fixed))  # (V, N, 3): every view in one batch
        gain = torch.from_numpy(window.view_shares[-1])[:, None, None]  # (V, 1, 1)
        past = len(window.timestamps) - 1
        drive = torch.from_numpy(np.concatenate([window.drives[:-1], lookahead.drive]).astype(np.float64))
        target = fft_bandpass(drive, fps)
        original_views = torch.from_numpy(np.stack(originals)).flip(-1)  # (V, N, 3) RGB
        channel_pulse = fft_bandpass(original_views.transpose(1, 2), fps)  # (V, 3, N): the real pulse per channel
        names = [name for name in self.attackers if not (mode.erase and (name in SPOOF_ONLY_ATTACKERS or recording_attacker(name)))]
        if mode.erase:
            references = [fft_bandpass(ESTIMATORS[name](original_views, fps), fps) for name in names]
            reference_hz = [dominant_hz(reference, fps) for reference in references]  # (V,) what each reads
        else:
            target_hz = dominant_hz(target, fps)  # what every attacker should read

        def edited(gains: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """The uniform correction (H, 3) and every view's trace (V, N, 3) RGB at ``gains``."""
            correction = weight * (gains[0] * drive_ahead + gains[1] * pulse_ahead)  # (H, 3)
            change = correction + gains[2] * borne_mean  # the skin's mean edit minus the plan's
            return correction, torch.cat([fixed[:, :past], fixed[:, past:] + gain * change], dim=1).flip(-1)  # BGR -> RGB

        if "ica" in names:  # FastICA per step is too slow: its unmixing is fitted once per plan
            frozen = ica_with(ica_fit(edited(torch.from_numpy(start))[1], fps))
        runs = []
        for name in names:
            if (estimator := recording_attacker(name)) is None:
                runs.append(frozen if name == "ica" else ESTIMATORS[name])
            elif (read := self.recording.attacker(estimator, fps)) is not None:  # None: no recording yet
                runs.append(read)

        def loss(gains: torch.Tensor) -> torch.Tensor:
            correction, trace = edited(gains)
            total = gains.new_zeros(())
            for index, run in enumerate(runs):
                wave = fft_bandpass(run(trace, fps), fps)  # (V, N)
                if mode.erase:
                    kept = pearson(wave, references[index]).abs() + self.near_weight * share_near(wave, fps, reference_hz[index])
                    total = total + (kept + self.peak_weight * peak_share(wave, fps)).mean()
                else:
                    # either sign reads the same rate; no other peak may outgrow the target's
                    total = total + (1.0 - pearson(wave, target).abs() + self.rival_weight * rival_share(wave, fps, target_hz)).mean()
            # no colour channel of any view may keep the real pulse, so no colour mix can find it (ICA)
            leak = pearson(fft_bandpass(trace.transpose(1, 2), fps), channel_pulse).abs().mean()
            cost = total / len(runs) + self.channel_weight * leak + self.fidelity * correction.pow(2).mean()
            if limit is not None:  # the face box keeps at least ``min_psnr_db``
                cost = cost + self.energy_weight * torch.relu(energy(correction, gains[2]) / limit - 1.0)
            return cost

        return loss, pulse, drive_colour(borne_mean, weight * drive_ahead)


def drive_colour(borne_mean: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """(3,) least-squares colour c with ``borne_mean`` ≈ ``drive`` x c: the skin-mean change
    per unit drive of a plan whose (H, 3) drive-borne skin mean is ``borne_mean`` at the
    (H, 1) weighted ``drive``."""
    return (borne_mean * drive).sum(0) / (drive * drive).sum().clamp_min(1e-12)


def keep_pulse_polarity(gains: torch.Tensor, plan_colour: torch.Tensor) -> None:
    """Project the (3, 3) gains in place so that every colour channel of the injected target
    moves with the plan's polarity (the sign of its colour along the blood-volume signature,
    whose channels all share one sign, as a real pulse's do): a channel whose
    ``(1 + rescale) x plan_colour + inject`` would turn against it stops at zero.

    Without it refine turned single channels against the rest for a few seconds (with the
    learned editor on lp_d3 at 60 bpm, red from plan 2 to 11), and the estimators that mix
    those channels, most held out of refine, read a phase reversal: no power at the target,
    two peaks ±5 bpm from it."""
    polarity = torch.sign((plan_colour * torch.from_numpy(BLOOD_VOLUME_BGR.astype(np.float64))).sum())
    if polarity == 0:
        return
    plan_part = (1.0 + gains[2]) * plan_colour
    total = plan_part + gains[0]
    wrong = polarity * total < 0
    gains[0][wrong] = -plan_part[wrong]


def planned_edits(
    plan: Plan, previous: Plan | None, lookahead: Lookahead, crossfade_frames: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the pipeline will apply over ``lookahead``: the (H, g, g, 3) grid edits (``plan``
    cross-faded in over ``crossfade_frames`` from ``previous``), their drive-borne part (the
    part ``rescale`` scales) and the (H,) weight of ``plan`` in each."""
    grids, borne, weights = [], [], []
    for age, (t, drive) in enumerate(zip(lookahead.timestamps, lookahead.drive)):
        weight = crossfade_weight(age, crossfade_frames) if previous is not None else 1.0
        edit = plan.edit_at(float(t), float(drive))
        borne.append(weight * (edit - plan.edit_at(float(t), 0.0)))
        if weight < 1.0:
            edit = crossfade(edit, previous.edit_at(float(t), float(drive)), weight)
        grids.append(edit)
        weights.append(weight)
    return np.asarray(grids, np.float64), np.asarray(borne, np.float64), np.asarray(weights, np.float64)


class EditEnergy:
    """The expected squared change (grey levels²) of the skin's pixels over the planned frames
    when the drive-borne part ``borne`` of the plan's (H, g, g, 3) grid edits is scaled per
    channel and a uniform (H, 3) correction is added.

    A pixel edited by e with stochastic rounding changes by e² + f(1 − f) on average (f the
    fractional part of e): sub-grey-level edits cost about |e|, not e².
    """

    def __init__(self, grids: np.ndarray, borne: np.ndarray, skin: np.ndarray) -> None:
        weights = cv2.resize(skin, grids.shape[2:0:-1], interpolation=cv2.INTER_AREA).astype(np.float64)
        self._grids = torch.from_numpy(grids.reshape(len(grids), -1, 3))  # (H, cells, 3)
        self._borne = torch.from_numpy(borne.reshape(len(borne), -1, 3))
        self._weights = torch.from_numpy(weights.ravel() / max(weights.sum(), 1e-9))[None, :, None]

    def __call__(self, correction: torch.Tensor, rescale: torch.Tensor) -> torch.Tensor:
        edit = self._grids + rescale * self._borne + correction[:, None, :]
        fraction = edit - torch.floor(edit)
        return ((edit.pow(2) + fraction * (1.0 - fraction)) * self._weights).sum(1).mean()


def skin_energy_limit(min_psnr_db: float, skin_share: float) -> float:
    """The skin's mean squared change (grey levels²) at which a box whose ``skin_share`` is
    skin, the rest unchanged, has a PSNR of ``min_psnr_db``."""
    return 255.0**2 * 10.0 ** (-min_psnr_db / 10.0) / max(skin_share, 1e-3)


def fit_pulse(trace: np.ndarray, times: np.ndarray, pulse_hz: float | None, fit_s: float = FIT_S) -> PulseFit | None:
    """The least-squares level, trend and pulse (fundamental + harmonic) at ``pulse_hz`` of a
    (T, 3) trace over its last ``fit_s`` seconds; None without a rate or enough samples."""
    keep = times >= times[-1] - fit_s
    if pulse_hz is None or keep.sum() < 8:
        return None
    design = sinusoid_design(times[keep].astype(np.float64), pulse_hz, 2)
    coef, *_ = np.linalg.lstsq(design, trace[keep], rcond=None)
    pulse = design[:, 2:] @ coef[2:]
    level = design[-1, :2] @ coef[:2]
    return PulseFit(float(pulse_hz), coef[2:], max(float(np.sqrt((pulse**2).mean())), 1e-6), level)


def _continue(trace: np.ndarray, times: np.ndarray, future: np.ndarray, fit: PulseFit | None, fit_s: float = FIT_S) -> np.ndarray:
    """(H, 3) forecast of a (T, 3) trace at ``future`` times: ``fit``'s continuation (level held,
    plus the pulse), or without a fit the mean of the latest sixth of the fit span."""
    if fit is not None:
        return fit.continuation(future)
    recent = trace[times >= times[-1] - fit_s]
    return np.repeat(recent[-max(1, len(recent) // 6):].mean(axis=0, keepdims=True), len(future), axis=0)
