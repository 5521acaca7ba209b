"""Differentiable torch versions of the classical estimators (surrogate attackers for editing).

They mirror :mod:`privacycam.rppg.classical` on a spatial-mean RGB trace tensor of shape
(T, 3) or (B, T, 3) and return (T,) or (B, T) waveforms, so a loss on the waveform can be
backpropagated to the pixels. CHROM's in-window Butterworth filter is applied as the exact
linear operator of scipy's ``filtfilt`` for that window length; the whole-trace band-pass
:func:`fft_bandpass` works in the FFT domain.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from scipy import signal
from sklearn.exceptions import ConvergenceWarning

from privacycam.rppg.classical import (
    CHROM_BAND_HZ,
    POS_PROJECTION,
    chrom_window_length,
    ica_pulse_unmixing,
    pos_window_length,
)
from privacycam.rppg.heart_rate import HR_BAND_HZ, bandpass

TraceFn = Callable[[torch.Tensor, float], torch.Tensor]


def spatial_mean_trace(faces: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, 3, H, W) float pixels -> (B, T, 3) mean RGB, optionally weighted by ``mask``.

    ``mask`` broadcasts to (B, T, 1, H, W) (e.g. (H, W) or (B, T, 1, H, W)), weights >= 0.
    """
    if faces.ndim != 5 or faces.shape[2] != 3:
        raise ValueError(f"expected (B, T, 3, H, W) faces, got shape {tuple(faces.shape)}")
    if mask is None:
        return faces.mean(dim=(-2, -1))
    weights = torch.broadcast_to(mask.to(faces.dtype), faces[:, :, :1].shape)
    return (faces * weights).sum(dim=(-2, -1)) / weights.sum(dim=(-2, -1)).clamp_min(1e-12)


def _batched(fn: TraceFn) -> TraceFn:
    """Let ``fn`` (written for (B, T, 3)) accept a single (T, 3) trace as well."""

    def wrapper(trace: torch.Tensor, fps: float) -> torch.Tensor:
        if trace.ndim == 2:
            return fn(trace.unsqueeze(0), fps).squeeze(0)
        if trace.ndim != 3 or trace.shape[-1] != 3:
            raise ValueError(f"expected a (T, 3) or (B, T, 3) trace, got shape {tuple(trace.shape)}")
        return fn(trace, fps)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def fft_bandpass(x: torch.Tensor, fps: float, lo: float = HR_BAND_HZ[0], hi: float = HR_BAND_HZ[1]) -> torch.Tensor:
    """Band-pass along the last axis: remove the linear trend, zero-pad to 2T, keep lo..hi Hz."""
    n = x.shape[-1]
    t = torch.linspace(-1.0, 1.0, n, dtype=x.dtype, device=x.device)
    x = x - x.mean(dim=-1, keepdim=True) - (x * t).sum(dim=-1, keepdim=True) / (t * t).sum() * t
    spec = torch.fft.rfft(x, n=2 * n)
    freqs = torch.fft.rfftfreq(2 * n, d=1.0 / fps).to(x.device)
    keep = ((freqs >= lo) & (freqs <= hi)).to(spec.dtype)
    return torch.fft.irfft(spec * keep, n=2 * n)[..., :n]


def _overlap_add(pieces: torch.Tensor, length: int, hop: int, total: int) -> torch.Tensor:
    """Sum (B, N, L) windows placed every ``hop`` samples into (B, total)."""
    folded = F.fold(pieces.transpose(1, 2), output_size=(1, total), kernel_size=(1, length), stride=(1, hop))
    return folded.reshape(pieces.shape[0], total)


def _std(x: torch.Tensor) -> torch.Tensor:
    return x.std(dim=-1, correction=0, keepdim=True)


@lru_cache(maxsize=16)
def _filtfilt_matrix(length: int, fps: float, band: tuple[float, float] = CHROM_BAND_HZ, order: int = 3) -> np.ndarray:
    """The (L, L) matrix of a zero-phase band-pass of L samples (default: CHROM's in-window
    filter): column j is the filtered unit impulse j."""
    return np.ascontiguousarray(bandpass(np.eye(length), fps, *band, order=order).T)


@_batched
def green(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """GREEN: the mean green channel."""
    return trace[..., 1]


@_batched
def chrom(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """CHROM with half-overlapping Hann windows, as :class:`privacycam.rppg.classical.Chrom`."""
    length = chrom_window_length(fps)
    half = length // 2
    windows = trace.unfold(1, length, half)  # (B, N, 3, L)
    norm = windows / windows.mean(dim=-1, keepdim=True)
    xs = 3.0 * norm[:, :, 0] - 2.0 * norm[:, :, 1]
    ys = 1.5 * norm[:, :, 0] + norm[:, :, 1] - 1.5 * norm[:, :, 2]
    operator = torch.as_tensor(_filtfilt_matrix(length, float(fps)), dtype=trace.dtype, device=trace.device)
    xf, yf = xs @ operator.T, ys @ operator.T
    taper = torch.as_tensor(signal.windows.hann(length), dtype=trace.dtype, device=trace.device)
    pieces = (xf - _std(xf) / _std(yf) * yf) * taper
    return _overlap_add(pieces, length, half, trace.shape[1])


@_batched
def pos(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """POS with 1.6-s windows sliding by one frame, as :class:`privacycam.rppg.classical.Pos`."""
    length = pos_window_length(fps)
    windows = trace.unfold(1, length, 1)  # (B, N, 3, L)
    norm = windows / windows.mean(dim=-1, keepdim=True)
    projection = torch.as_tensor(POS_PROJECTION, dtype=trace.dtype, device=trace.device)
    s = torch.einsum("pc,bncl->bnpl", projection, norm)
    h = s[:, :, 0] + _std(s[:, :, 0]) / _std(s[:, :, 1]) * s[:, :, 1]
    h = h - h.mean(dim=-1, keepdim=True)
    return _overlap_add(h, length, 1, trace.shape[1])


def _project_out(trace: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """Green channel of (B, T, 3) after removing the component along (B, 3) ``direction``."""
    direction = direction / direction.norm(dim=-1, keepdim=True)
    along = (trace * direction[:, None, :]).sum(dim=-1, keepdim=True)
    return (trace - along * direction[:, None, :])[..., 1]


@_batched
def lgi(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """LGI: remove the principal direction of the trace (SVD), keep green."""
    u, _, _ = torch.linalg.svd(trace.transpose(1, 2), full_matrices=False)
    return _project_out(trace, u[:, :, 0])


@_batched
def omit(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """OMIT: remove the first QR direction of the trace, keep green."""
    q, _ = torch.linalg.qr(trace.transpose(1, 2))
    return _project_out(trace, q[:, :, 0])


@_batched
def pbv(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """PBV: project the normalised trace onto its blood-volume signature."""
    norm = trace / trace.mean(dim=1, keepdim=True) - 1.0  # (B, T, 3)
    var = norm.var(dim=1, correction=0)
    signature = var.sqrt() / var.sum(dim=-1, keepdim=True).sqrt()  # (B, 3)
    weights = torch.linalg.solve(norm.transpose(1, 2) @ norm, signature.unsqueeze(-1))  # (B, 3, 1)
    return (norm @ weights).squeeze(-1) / (signature.unsqueeze(1) @ weights).squeeze(-1)


@dataclass(frozen=True)
class IcaFit:
    """FastICA's unmixing of each trace of a batch, and the source it picks: (B, 3), (B, 3, 3), (B,)."""

    mean: torch.Tensor
    unmixing: torch.Tensor
    source: torch.Tensor


def _ica_normed(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """ICA's input: the (B, T, 3) trace band-passed (scipy's filtfilt as a linear operator) and standardised."""
    operator = torch.as_tensor(_filtfilt_matrix(trace.shape[1], float(fps), HR_BAND_HZ, 2), dtype=trace.dtype)
    filtered = torch.einsum("ts,bsc->btc", operator, trace)
    return (filtered - filtered.mean(dim=1, keepdim=True)) / filtered.std(dim=1, correction=0, keepdim=True)


def ica_fit(trace: torch.Tensor, fps: float) -> IcaFit:
    """What :class:`privacycam.rppg.classical.Ica` finds on a (B, T, 3) trace (no gradient)."""
    means, unmixings, sources = [], [], []
    for one in _ica_normed(trace.detach(), fps).numpy():
        with warnings.catch_warnings():  # an unconverged unmixing is what the attacker would use too
            warnings.simplefilter("ignore", ConvergenceWarning)
            mean, unmixing, source = ica_pulse_unmixing(one, fps)
        means.append(mean)
        unmixings.append(unmixing)
        sources.append(source)
    dtype = trace.dtype
    return IcaFit(torch.as_tensor(np.stack(means), dtype=dtype), torch.as_tensor(np.stack(unmixings), dtype=dtype), torch.as_tensor(sources))


def ica_with(fit: IcaFit) -> TraceFn:
    """ICA whose unmixing and choice of source are held at ``fit`` (for traces of its batch
    size): gradients flow through the band-pass, the standardisation and the unmixing, as
    for a fixed linear colour mix."""

    @_batched
    def ica_fixed(trace: torch.Tensor, fps: float) -> torch.Tensor:
        picked = fit.unmixing[torch.arange(len(fit.source)), fit.source]  # (B, 3): the chosen rows
        return ((_ica_normed(trace, fps) - fit.mean[:, None]) * picked[:, None]).sum(-1)

    return ica_fixed


@_batched
def ica(trace: torch.Tensor, fps: float) -> torch.Tensor:
    """ICA as :class:`privacycam.rppg.classical.Ica`, with FastICA's unmixing (and the choice
    of source) found afresh on the detached trace: see :func:`ica_with`."""
    return ica_with(ica_fit(trace, fps))(trace, fps)


ESTIMATORS: dict[str, TraceFn] = {
    "green": green, "chrom": chrom, "pos": pos, "lgi": lgi, "omit": omit, "pbv": pbv, "ica": ica,
}
