"""Which editor runs for a ``--editor`` name: product policy, measured per mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from privacycam.errors import PrivacyCamError

if TYPE_CHECKING:
    from privacycam.editors.base import Editor


def make_editor(name: str) -> Editor:
    """The pulse editor named ``name``, combined with the de-identification editor for
    ``deidentify`` modes.

    ``auto`` is the editor that measures best with refine on, per mode (docs/benchmarks.md,
    "Erase"): today the learned one for spoof-hr, the spectral one for erase.
    """
    from privacycam.editors.composite import ByModeEditor, with_identity
    from privacycam.editors.learned import LearnedEditor
    from privacycam.editors.spectral import SpectralEditor

    if name == "auto":
        return with_identity(ByModeEditor(spoof=LearnedEditor(), erase=SpectralEditor()))
    if name == "learned":
        return with_identity(LearnedEditor())
    if name == "spectral":
        return with_identity(SpectralEditor())
    raise PrivacyCamError(f"unknown editor {name!r}: choose auto, learned or spectral")
