"""spoof-hr's halo: the target pulse on the pixels around the skin (real MediaPipe, generated frames)."""

import numpy as np
import pytest

from privacycam.config import FilterConfig
from privacycam.editors.spectral import SpectralEditor
from privacycam.io.sources import SyntheticSource
from privacycam.modes import parse_mode
from privacycam.pulse.target import TargetPulse
from privacycam.render.halo import HaloGain, halo_colour, halo_edit, halo_weights
from privacycam.rppg.views import detector_square
from privacycam.stream.pipeline import FilterPipeline

from pipeline_checks import assert_only_skin_changed


def test_weights_spare_the_skin_and_fade_at_the_edges():
    skin = np.zeros((40, 40), np.float32)
    skin[10:30, 10:30] = 1.0
    skin[18:22, 18:22] = 0.0  # a hole (an eye): not skin, so the halo covers it
    weights = halo_weights((0, 0, 120, 120), skin, (40, 40, 80, 80))
    assert weights.shape == (120, 120) and weights.min() >= 0.0 and weights.max() <= 1.0
    assert not weights[50:70, 50:70][skin[10:30, 10:30] == 1].any()
    assert weights[60, 60] == pytest.approx(1.0)  # the hole, in the square's flat middle
    assert weights[0, :].max() == 0.0 and weights[:, -1].max() == 0.0  # no edge where the square ends
    assert weights[60, 45] == pytest.approx(1.0) and 0.0 < weights[60, 10] < 1.0  # inside vs in the taper


def test_colour_is_the_relative_change_of_the_weighted_mean_colour():
    weights = np.zeros((8, 8), np.float32)
    weights[:4] = 1.0  # only the top half counts
    pixels = np.zeros((8, 8, 3), np.uint8)
    pixels[:4] = (100, 200, 50)
    pixels[4:] = (255, 255, 255)
    colour = halo_colour(weights, pixels, np.array([0.01, -0.02, 0.004]), step=1)
    np.testing.assert_allclose(colour, [1.0, -4.0, 0.2], rtol=1e-5)
    edit = halo_edit(weights * 0.5, colour)
    assert edit.shape == (8, 8, 3) and edit.dtype == np.float32
    np.testing.assert_allclose(edit[0, 0], [0.5, -2.0, 0.1], rtol=1e-5)
    assert not edit[7].any()


def test_gain_backs_off_below_the_psnr_floor_and_recovers():
    gain = HaloGain(0.4, min_psnr_db=45.0)
    assert gain.gain == 0.2  # half strength until the edits' cost is known
    limit = 255.0**2 * 10 ** (-45.0 / 10)
    for _ in range(150):
        gain.observe(0.5 * limit)
    assert gain.gain == 0.4 and gain.psnr_db == pytest.approx(48.0, abs=0.1)
    for _ in range(600):
        gain.observe(3.0 * limit)  # edits three times the floor's energy: the halo fades out
    assert gain.gain < 0.01 and gain.psnr_db < 45.0
    for _ in range(900):
        gain.observe(0.5 * limit)
    assert gain.gain == 0.4  # back, never above the set strength
    # closed loop: the skin's edit costs half the limit, the halo its square times more; at
    # full strength the frame would cost 1.5x the limit, at 0.28 exactly the limit
    for frame in range(3000):
        pulse = 1.0 + 0.5 * np.sin(2 * np.pi * frame / 20)  # the cost swings with the pulse
        gain.observe(pulse * (0.5 + gain.gain**2 / 0.16) * limit)
    assert gain.gain == pytest.approx(np.sqrt(0.08), rel=0.2)
    assert gain.psnr_db == pytest.approx(45.0, abs=0.3)


def _run(mode: str, bpm: float | None, halo_strength: float, frames: int = 75):
    pipeline = FilterPipeline(SpectralEditor(), parse_mode(mode, bpm), FilterConfig(asynchronous=False, halo_strength=halo_strength, refine_steps=0))
    results = [(frame, pipeline.process(frame)) for frame in SyntheticSource(640, 480, 30.0, frames=frames)]
    pipeline.close()
    return results


def test_spoof_halo_continues_the_skins_target_outside_the_skin_only():
    target = TargetPulse(90.0, seed=0)  # the pipeline's own target (FilterConfig.seed 0)
    drives, skin_changes, halo_changes = [], [], []
    for frame, result in _run("spoof-hr", 90.0, halo_strength=0.5):
        drive = target.advance(frame.timestamp)
        if not result.protected:
            continue
        assert_only_skin_changed(frame, result)  # skin mask or halo weights, nowhere else
        assert result.halo_box == detector_square(result.box, frame.image.shape)
        x0, y0, x1, y1 = result.box
        skin = result.mask > 0.9
        original = frame.image[y0:y1, x0:x1][skin].astype(np.float64)
        skin_changes.append((result.image[y0:y1, x0:x1][skin] - original).mean(axis=0) / original.mean(axis=0))
        x0, y0, x1, y1 = result.halo_box
        strong = result.halo > 0.9  # far from the skin and from the square's edges
        assert strong.sum() > 1000
        original = frame.image[y0:y1, x0:x1][strong].astype(np.float64)
        halo_changes.append((result.image[y0:y1, x0:x1][strong] - original).mean(axis=0) / original.mean(axis=0))
        drives.append(drive)
    assert len(drives) >= 60
    skin_changes, halo_changes = np.asarray(skin_changes), np.asarray(halo_changes)
    # per channel: the halo's relative change follows the target, at half the skin's
    # target part (the skin's change regressed on the drive)
    for channel in range(3):
        halo_slope, _ = np.polyfit(drives, halo_changes[:, channel], 1)
        skin_slope, _ = np.polyfit(drives, skin_changes[:, channel], 1)
        assert np.corrcoef(drives, halo_changes[:, channel])[0, 1] > 0.9
        assert halo_slope == pytest.approx(0.5 * skin_slope, rel=0.25)


@pytest.mark.parametrize("mode, bpm, strength", [("spoof-hr", 90.0, 0.0), ("erase", None, 0.5)])
def test_no_halo_when_off_or_erasing(mode, bpm, strength):
    protected = 0
    for frame, result in _run(mode, bpm, halo_strength=strength, frames=40):
        if result.protected:
            protected += 1
            assert result.halo_box is None and result.halo is None
            diff = result.image.astype(int) - frame.image.astype(int)
            x0, y0, x1, y1 = result.box
            outside = np.ones(frame.image.shape[:2], bool)
            outside[y0:y1, x0:x1] = result.mask == 0
            assert not diff[outside].any(), "a pixel outside the skin mask changed"
    assert protected >= 30
