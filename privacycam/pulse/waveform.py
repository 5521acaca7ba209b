"""A recorded PPG waveform as the pulse editor's drive (``--mode spoof-wave FILE``).

The file is CSV text: one value per line (one per video frame), or ``time,value`` rows
(seconds, increasing). A header line is allowed. The waveform is band-passed to the pulse
band (the whole file at once, zero-phase) and scaled to the synthetic target's unit
"sine-equivalent" amplitude, so the editors drive it exactly as they drive
:class:`~privacycam.pulse.target.TargetPulse`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from scipy import signal

from privacycam.errors import PrivacyCamError
from privacycam.modes import Mode
from privacycam.pulse.target import TargetPulse

BAND_HZ = (0.7, 3.5)  # the pulse band the estimators read
MIN_SECONDS = 2.0  # shorter than this has no pulse to speak of


def read_waveform(path: str | Path, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(times s, values) of a waveform file; one-value rows are frames at ``fps``.

    Raises :class:`PrivacyCamError` (one line, what to do) for a missing, empty or
    non-numeric file, or times that do not increase.
    """
    path = Path(path)
    hint = "give a CSV with one PPG value per frame, or time,value rows (seconds)"
    if not path.is_file():
        raise PrivacyCamError(f"spoof-wave: no waveform file at {path}; {hint}")
    with path.open(newline="") as handle:
        rows = [[cell.strip() for cell in row] for row in csv.reader(handle) if any(c.strip() for c in row)]
    header = int(bool(rows) and not _numeric(rows[0]))
    rows = rows[header:]
    if not rows:
        raise PrivacyCamError(f"spoof-wave: {path} has no values; {hint}")
    widths = {len(row) for row in rows}
    if len(widths) != 1 or widths.pop() not in (1, 2):
        raise PrivacyCamError(f"spoof-wave: {path} mixes row lengths or has more than 2 columns; {hint}")
    for number, row in enumerate(rows, start=1 + header):
        if not _numeric(row):
            raise PrivacyCamError(f"spoof-wave: {path} row {number} is not numeric ({','.join(row)!r}); {hint}")
    table = np.array(rows, dtype=np.float64)
    if table.shape[1] == 1:
        return np.arange(len(table)) / fps, table[:, 0]
    times = table[:, 0]
    if np.any(np.diff(times) <= 0):
        raise PrivacyCamError(f"spoof-wave: the times in {path} must increase row by row; {hint}")
    return times - times[0], table[:, 1]


def _numeric(row: list[str]) -> bool:
    try:
        return all(math.isfinite(float(cell)) for cell in row)
    except ValueError:
        return False


class WaveformTarget:
    """The drive from a recorded waveform: the same ``advance``/``preview``/``set_bpm``
    interface as :class:`~privacycam.pulse.target.TargetPulse`. Time runs from the first
    frame's timestamp; past the recording's end it repeats (live streams outlast files)."""

    def __init__(self, times: np.ndarray, values: np.ndarray, path: str = "") -> None:
        self.path = path
        duration = float(times[-1]) if len(times) > 1 else 0.0
        if duration < MIN_SECONDS:
            raise PrivacyCamError(
                f"spoof-wave: the waveform {path} lasts {duration:.2f} s; it needs at least {MIN_SECONDS:g} s of samples"
            )
        rate = (len(times) - 1) / duration
        step = 1.0 / max(rate, 2.5 * BAND_HZ[1])  # resample evenly (time,value rows may be uneven)
        grid = np.arange(0.0, duration + 1e-9, step)
        even = np.interp(grid, times, values)
        sos = signal.butter(2, BAND_HZ, btype="bandpass", fs=1.0 / step, output="sos")
        band = signal.sosfiltfilt(sos, even - even.mean()) if len(even) > 27 else even - even.mean()
        scale = float(band.std() * math.sqrt(2.0))
        if not scale > 1e-12:
            raise PrivacyCamError(f"spoof-wave: the waveform {path} is flat in the pulse band (0.7-3.5 Hz); nothing to inject")
        self._grid, self._values, self.duration = grid, band / scale, float(grid[-1])
        self._start: float | None = None
        self._time = 0.0

    @classmethod
    def from_file(cls, path: str | Path, fps: float) -> "WaveformTarget":
        times, values = read_waveform(path, fps)
        return cls(times, values, str(path))

    @property
    def bpm(self) -> float:
        """The waveform's dominant rate (the peak of its spectrum), beats per minute."""
        freqs, power = signal.periodogram(self._values, fs=1.0 / (self._grid[1] - self._grid[0]), nfft=1 << 14)
        band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
        return float(60.0 * freqs[band][np.argmax(power[band])])

    @property
    def phase(self) -> float:
        """Seconds into the recording (the waveform's own clock; continuous)."""
        return self._time

    def set_bpm(self, bpm: float) -> None:
        """A recording keeps its own rate: nothing to change."""

    def require(self, seconds: float, fps: float) -> None:
        """Raise :class:`PrivacyCamError` unless the recording lasts ``seconds`` (a video's length, one frame's slack)."""
        if self.duration + 1.5 / fps < seconds:
            raise PrivacyCamError(
                f"spoof-wave: the waveform {self.path} lasts {self.duration + 1.0 / fps:.2f} s but the video "
                f"{seconds:.2f} s; give one value per frame (or times) for the whole video"
            )

    def _values_at(self, times: np.ndarray, start: float) -> np.ndarray:
        local = (np.asarray(times, np.float64) - start) % (self.duration + (self._grid[1] - self._grid[0]))
        return np.interp(local, self._grid, self._values)

    def advance(self, t: float) -> float:
        """Move to time ``t`` (seconds, non-decreasing) and return the waveform value there."""
        if self._start is None:
            self._start = t
        self._time = t - self._start
        return float(self._values_at(np.array([t]), self._start)[0])

    def preview(self, timestamps: np.ndarray) -> np.ndarray:
        """Values at future ``timestamps`` without advancing (before the first
        :meth:`advance`, the recording starts at the first of them)."""
        if len(timestamps) == 0:
            return np.zeros(0)
        return self._values_at(timestamps, float(timestamps[0]) if self._start is None else self._start)


def spoof_target(mode: Mode, fps: float, seed: int = 0) -> TargetPulse | WaveformTarget:
    """The spoof drive of ``mode``: its waveform file when it names one, else the synthetic pulse."""
    return WaveformTarget.from_file(mode.wave, fps) if mode.wave else TargetPulse(mode.target_bpm, seed=seed)
