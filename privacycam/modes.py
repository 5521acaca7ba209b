"""Filter modes and their parsing from the CLI / tray / settings strings."""

from __future__ import annotations

from dataclasses import dataclass

from privacycam.errors import PrivacyCamError

MIN_BPM = 40.0
MAX_BPM = 200.0


@dataclass(frozen=True)
class Mode:
    """What the filter does to the pulse (and, later, identity).

    ``spoof``: every estimator should read ``target_bpm``; ``erase``: no pulse is readable;
    ``deidentify``: identity edit, may combine with spoof; all False: passthrough ("off").
    """

    spoof: bool = False
    erase: bool = False
    deidentify: bool = False
    target_bpm: float = 75.0

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
            parts.append(f"spoof-hr {self.target_bpm:g}")
        if self.erase:
            parts.append("erase")
        return "+".join(parts) if parts else "off"


def parse_mode(name: str, target_bpm: float | None = None) -> Mode:
    """Parse ``off``, ``erase``, ``spoof-hr``, ``deidentify`` or ``deidentify+spoof-hr``.

    ``spoof-hr`` needs ``target_bpm`` in [40, 200].
    """
    parts = [p.strip().lower() for p in name.split("+") if p.strip()]
    known = {"off", "erase", "spoof-hr", "deidentify"}
    unknown = [p for p in parts if p not in known]
    if not parts or unknown:
        raise PrivacyCamError(
            f"unknown mode {name!r}: use off, erase, spoof-hr BPM, deidentify or deidentify+spoof-hr BPM"
        )
    if "off" in parts and len(parts) > 1:
        raise PrivacyCamError("mode 'off' cannot be combined with another mode")
    if "erase" in parts and "spoof-hr" in parts:
        raise PrivacyCamError("'erase' and 'spoof-hr' exclude each other")
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
