"""Fidelity of a face change, frame by frame: PSNR (whole frame, face box), the share of
the change's spatial energy above a quarter of the Nyquist frequency (a noise-like pattern
scores high, a smooth reshaping low), and its flicker (the change's own frame-to-frame
change against the original's in the face box)."""

from __future__ import annotations

import numpy as np

from privacycam.frames import Frame, ProcessedFrame


def high_frequency_share(change: np.ndarray) -> float:
    """Share of a (h, w, 3) change's spectral energy above a quarter of the Nyquist frequency
    (radial frequency > 0.125 cycles/pixel), mean removed."""
    grey = change.astype(np.float64).mean(axis=2)
    power = np.abs(np.fft.fft2(grey - grey.mean())) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(grey.shape[0]), np.fft.fftfreq(grey.shape[1]), indexing="ij")
    total = power.sum()
    return float(power[np.hypot(fx, fy) > 0.125].sum() / total) if total > 0 else 0.0


class FidelityMeter:
    """Per-frame fidelity of the change, read from the pipeline's frames as they are made."""

    def __init__(self) -> None:
        self.psnr: list[float] = []
        self.box_psnr: list[float] = []
        self.high_share: list[float] = []
        self.edit_change: list[float] = []
        self.original_change: list[float] = []
        self._previous: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, frame: Frame, result: ProcessedFrame) -> None:
        original, filtered = frame.image.astype(np.float32), result.image.astype(np.float32)
        self.psnr.append(psnr(original, filtered))
        if result.box is None:
            self._previous = None
            return
        x0, y0, x1, y1 = result.box
        o, f = original[y0:y1, x0:x1], filtered[y0:y1, x0:x1]
        self.box_psnr.append(psnr(o, f))
        self.high_share.append(high_frequency_share(f - o))
        # flicker: consecutive frames compared inside the newer frame's box
        if self._previous is not None and self._previous[0].shape == original.shape:
            po, pf = self._previous[0][y0:y1, x0:x1], self._previous[1][y0:y1, x0:x1]
            self.edit_change.append(float(np.abs((f - o) - (pf - po)).mean()))
            self.original_change.append(float(np.abs(o - po).mean()))
        self._previous = (original, filtered)

    def summary(self) -> dict[str, float]:
        """Medians / means over the frames seen; ``flicker_ratio`` = edit flicker / original change."""
        return {
            "psnr_db_median": round(float(np.median(self.psnr)), 2),
            "face_box_psnr_db_median": round(float(np.median(self.box_psnr)), 2),
            "high_frequency_share_median": round(float(np.median(self.high_share)), 4),
            "high_frequency_share_p95": round(float(np.percentile(self.high_share, 95)), 4),
            "edit_flicker_mean": round(float(np.mean(self.edit_change)), 3),
            "original_change_mean": round(float(np.mean(self.original_change)), 3),
            "flicker_ratio": round(float(np.mean(self.edit_change) / max(1e-9, np.mean(self.original_change))), 3),
        }


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of two images in dB (99 when identical)."""
    mse = float(np.mean((a - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
