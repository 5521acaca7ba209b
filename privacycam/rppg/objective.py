"""The Privacy-Phys objective against an ensemble of differentiable surrogate attackers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from privacycam.rppg.deep.estimator import DeepEstimator, integrate
from privacycam.rppg.differentiable import ESTIMATORS, fft_bandpass, spatial_mean_trace

if TYPE_CHECKING:
    from privacycam.rppg.published.estimators import PortedEstimator

Attacker = Callable[[torch.Tensor, float], torch.Tensor]
DEEP_SIZE = 36  # the project's deep estimators area-resize to 36x36 anyway


def pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation along the last axis."""
    a = a - a.mean(-1, keepdim=True)
    b = b - b.mean(-1, keepdim=True)
    return (a * b).sum(-1) / torch.sqrt((a * a).sum(-1) * (b * b).sum(-1) + 1e-12)


def _band_power(wave: torch.Tensor, fps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The 0.7-3.5 Hz bins of the 4x zero-padded power spectrum along the last axis: (Hz, power)."""
    n = wave.shape[-1]
    power = torch.fft.rfft(wave - wave.mean(-1, keepdim=True), n=4 * n).abs() ** 2
    freqs = torch.fft.rfftfreq(4 * n, d=1.0 / fps)
    band = (freqs >= 0.7) & (freqs <= 3.5)
    return freqs[band], power[..., band]


def peak_share(wave: torch.Tensor, fps: float) -> torch.Tensor:
    """Share of the 0.7-3.5 Hz power in the strongest bin (a dominant peak scores high)."""
    _, band = _band_power(wave, fps)
    return band.max(-1).values / band.sum(-1).clamp_min(1e-12)


def dominant_hz(wave: torch.Tensor, fps: float) -> torch.Tensor:
    """The 0.7-3.5 Hz frequency of the strongest bin along the last axis (no gradient)."""
    freqs, band = _band_power(wave.detach(), fps)
    return freqs[band.argmax(-1)]


def share_near(wave: torch.Tensor, fps: float, hz: torch.Tensor, half_width_hz: float = 0.1) -> torch.Tensor:
    """Share of the 0.7-3.5 Hz power within ``half_width_hz`` of ``hz`` (broadcast over the
    leading axes): how much of what an estimator reads lies at that rate."""
    freqs, band = _band_power(wave, fps)
    near = ((freqs - hz[..., None]).abs() <= half_width_hz).to(band.dtype)
    return (band * near).sum(-1) / band.sum(-1).clamp_min(1e-12)


def rival_share(wave: torch.Tensor, fps: float, hz: torch.Tensor, half_width_hz: float = 0.05) -> torch.Tensor:
    """off / (on + off): ``on`` the 0.7-3.5 Hz power in the bin nearest ``hz``, ``off`` the
    strongest bin more than ``half_width_hz`` from it (the default: 3 bpm). Above 0.5 the
    spectral peak an estimator reads is elsewhere; a pure tone at ``hz`` over T seconds
    still scores about 0.3 (its own main lobe)."""
    freqs, band = _band_power(wave, fps)
    distance = (freqs - hz[..., None]).abs()
    on = band.gather(-1, distance.argmin(-1, keepdim=True).expand(*band.shape[:-1], 1)).squeeze(-1)
    off = band.masked_fill(distance <= half_width_hz, 0.0).max(-1).values
    return off / (on + off).clamp_min(1e-12)


def attacker(name: str, deep: dict[str, DeepEstimator | PortedEstimator]) -> Attacker:
    """Waveform (B,T) of (B,T,3,S,S) BGR faces: a differentiable classical estimator on the
    spatial mean, or a deep estimator on RGB crops area-resized to its input size (the
    project's: 36x36; a published port's: its own, which it reads in its chunks), a derivative
    network's output integrated."""
    if name in ESTIMATORS:
        return lambda faces, fps: ESTIMATORS[name](spatial_mean_trace(faces.flip(2)), fps)
    model = deep[name]
    size = getattr(model, "size", DEEP_SIZE)

    def run(faces: torch.Tensor, fps: float) -> torch.Tensor:
        b, t = faces.shape[:2]
        small = F.interpolate(faces.flip(2).reshape(b * t, 3, *faces.shape[-2:]), size=(size, size), mode="area")
        out = model.forward_tensor(small.reshape(b, t, 3, size, size).permute(0, 1, 3, 4, 2))
        return integrate(out) if getattr(model.torch_model(), "output", "waveform") == "derivative" else out

    return run


def pulse_loss(
    edited: torch.Tensor,
    original: torch.Tensor,
    target: torch.Tensor,
    erase: torch.Tensor,
    attackers: list[Attacker],
    fps: float,
    peak_weight: float = 0.3,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean over attackers: spoof rows 1 - r(attacker, target); erase rows |r(attacker on
    edited, attacker on original)| + ``peak_weight`` x dominant-peak share."""
    total = edited.new_zeros(edited.shape[0])
    for run in attackers:
        wave = fft_bandpass(run(edited, fps), fps)
        with torch.no_grad():
            reference = fft_bandpass(run(original, fps), fps)
        spoof = 1.0 - pearson(wave, fft_bandpass(target, fps))
        hide = pearson(wave, reference).abs() + peak_weight * peak_share(wave, fps)
        total = total + torch.where(erase, hide, spoof)
    total = total / len(attackers)
    return total.mean(), {"spoof": float(total[~erase].mean()) if (~erase).any() else float("nan"),
                          "erase": float(total[erase].mean()) if erase.any() else float("nan")}


def fidelity_loss(edit: torch.Tensor, masks: torch.Tensor, budget_rms: float, weight: float) -> tuple[torch.Tensor, float]:
    """``weight`` x skin MSE of the edit (grey levels^2) + a steep hinge above ``budget_rms``."""
    mse = (edit.pow(2).sum(2) * masks).sum(dim=(1, 2, 3)) / (3 * masks.sum(dim=(1, 2, 3))).clamp_min(1e-6)
    rms = torch.sqrt(mse + 1e-9)
    return (weight * mse + 4.0 * F.relu(rms - budget_rms).pow(2)).mean(), float(rms.mean())
