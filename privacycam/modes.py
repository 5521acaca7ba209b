"""Filter modes and their parsing from the CLI / tray / settings strings."""

from __future__ import annotations

from dataclasses import dataclass

from privacycam.errors import PrivacyCamError

MIN_BPM = 40.0
MAX_BPM = 200.0


@dataclass(frozen=True)
class Mode:
    """What the filter does to the pulse (and, later, identity).

    ``spoof``: every estimator should read ``target_bpm`` (or, with ``wave``, the recorded
    waveform in that CSV file); ``erase``: the real pulse is cancelled and a decoy shown; ``deidentify``: identity
    edit, may combine with spoof; all False: passthrough ("off").
    """

    spoof: bool = False
    erase: bool = False
    deidentify: bool = False
    target_bpm: float = 75.0
    wave: str | None = None

    @property
    def is_off(self) -> bool:
        return not (self.spoof or self.erase or self.deidentify)

    @property
    def edits_pulse(self) -> bool:
        return self.spoof or self.erase

    def label(self) -> str:
        parts = []
        if self.deidentify:
            parts.append("deidentify")
        if self.spoof:
            parts.append(f"spoof-wave {self.wave}" if self.wave else f"spoof-hr {self.target_bpm:g}")
        if self.erase:
            parts.append("erase")
        return "+".join(parts) if parts else "off"


def parse_mode(name: str, target_bpm: float | None = None, wave: str | None = None) -> Mode:
    """Parse ``off``, ``erase``, ``spoof-hr``, ``spoof-wave``, ``deidentify`` or
    ``deidentify+spoof-hr`` / ``deidentify+spoof-wave``.

    ``spoof-hr`` needs ``target_bpm`` in [40, 200]; ``spoof-wave`` needs ``wave``, a CSV path
    (read by :mod:`privacycam.pulse.waveform` when the stream starts).
    """
    parts = [p.strip().lower() for p in name.split("+") if p.strip()]
    known = {"off", "erase", "spoof-hr", "spoof-wave", "deidentify"}
    unknown = [p for p in parts if p not in known]
    if not parts or unknown:
        raise PrivacyCamError(
            f"unknown mode {name!r}: use off, erase, spoof-hr BPM, spoof-wave FILE, deidentify or deidentify+spoof-hr BPM"
        )
    if "off" in parts and len(parts) > 1:
        raise PrivacyCamError("mode 'off' cannot be combined with another mode")
    if "spoof-hr" in parts and "spoof-wave" in parts:
        raise PrivacyCamError("'spoof-hr' and 'spoof-wave' exclude each other: pick a rate or a waveform file")
    if "erase" in parts and ("spoof-hr" in parts or "spoof-wave" in parts):
        raise PrivacyCamError("'erase' and spoofing exclude each other")
    if "spoof-wave" in parts:
        if not wave:
            raise PrivacyCamError("spoof-wave needs a waveform file, e.g. --mode spoof-wave ppg.csv")
        return Mode(spoof=True, deidentify="deidentify" in parts, wave=str(wave))
    spoof = "spoof-hr" in parts
    if spoof:
        if target_bpm is None:
            raise PrivacyCamError("spoof-hr needs a target heart rate, e.g. --mode spoof-hr 90")
        if not MIN_BPM <= float(target_bpm) <= MAX_BPM:
            raise PrivacyCamError(f"target heart rate {target_bpm:g} bpm is outside {MIN_BPM:g}-{MAX_BPM:g} bpm")
    return Mode(
        spoof=spoof,
        erase="erase" in parts,
        deidentify="deidentify" in parts,
        target_bpm=float(target_bpm) if target_bpm is not None else 75.0,
    )
