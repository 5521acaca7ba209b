"""Probe: hold the attacker box's mean colour at its causal slow baseline (plus an optional decoy)
on top of ``privacycam process --mode erase``, and read the result with the classical and ported
attackers in the eval's boxes.

    .venv/bin/python benchmarks/erase_box_mean_probe.py lp_d20 OUT_ERASE.mkv \
        '{"default": null, "exact": {"exact": true, "ridge": 0, "order": 4, "cutoff": 0.3, "clip": 8},
          "held-square": {"k": 1, "scale": 2.0, "period_s": 16, "order": 4, "cutoff": 0.3, "clip": 8, "decoy": 0.003}}'
"""
import sys, json, time
from pathlib import Path
import numpy as np
import cv2
from scipy import signal

from privacycam.evaluation import metrics
from privacycam.evaluation.report import attacker_verdicts, compare_waveforms
from privacycam.rppg.registry import load_estimators
from privacycam.rppg.roi import CROP_SIZE, WINDOW_S, crop, open_video, with_boxes
from privacycam.face.landmarks import FaceTracker

ATT = ("green", "chrom", "pos", "lgi", "pbv", "ica", "omit",
       "physnet.pure", "physnet.rlap", "tscan.pure", "tscan.rlap", "efficientphys.pure", "efficientphys.rlap")
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"


def frames_of(path):
    info, it = open_video(path)
    return info.fps, list(it)


def taper(n, frac=1 / 6):
    ramp = np.minimum(np.arange(n), np.arange(n)[::-1]) / max(1.0, n * frac)
    return (0.5 - 0.5 * np.cos(np.pi * np.clip(ramp, 0, 1))).astype(np.float32)


def hats(n, k):
    """(k+1, n) 1-D hat functions over n samples (partition of unity)."""
    x = np.linspace(0, k, n)
    return np.stack([np.clip(1 - np.abs(x - j), 0, None) for j in range(k + 1)]).astype(np.float32)


class Stabiliser:
    def __init__(self, fps, k=2, scale=2.0, cutoff=0.4, order=2, period_s=10.0, clip=4.0, ridge=0.05, decoy=0.0, seed=3):
        self.fps, self.k, self.scale, self.clip, self.ridge = fps, k, scale, clip, ridge
        self.sos = signal.butter(order, cutoff, btype="lowpass", fs=fps, output="sos")
        self.period = period_s
        from privacycam.pulse.decoy import DecoyNoise
        self.decoy_amp = decoy
        self.noise = DecoyNoise(fps=fps, seed=seed)
        self.region = None
        self.anchored = -1e9
        self.state = None

    def _anchor(self, box, shape, t):
        h, w = shape[:2]
        x0, y0, x1, y1 = box
        half = self.scale * max(x1 - x0, y1 - y0) / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.region = (max(0, int(cx - half)), max(0, int(cy - half)), min(w, int(cx + half)), min(h, int(cy + half)))
        rx0, ry0, rx1, ry1 = self.region
        hy, hx = hats(ry1 - ry0, self.k), hats(rx1 - rx0, self.k)
        ty, tx = taper(ry1 - ry0), taper(rx1 - rx0)
        basis = np.einsum("iy,jx->ijyx", hy * ty, hx * tx).reshape(-1, ry1 - ry0, rx1 - rx0)
        self.basis = basis  # (J, h, w)
        self.sums = basis.reshape(len(basis), -1).sum(1)
        gram = basis.reshape(len(basis), -1) @ basis.reshape(len(basis), -1).T
        self.A = gram / self.sums[:, None]
        self.state = None
        self.anchored = t

    def __call__(self, frame, box, t, fixed=None):
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if fixed is not None:
            if getattr(self, "_fixed", None) != fixed:
                state = self.state
                self._anchor(box, frame.shape, t)
                self.region = fixed
                rx0, ry0, rx1, ry1 = fixed
                self.basis = np.ones((1, ry1 - ry0, rx1 - rx0), np.float32)
                self.sums = self.basis.reshape(1, -1).sum(1)
                self.A = np.ones((1, 1))
                self._fixed = fixed
                self.state = state
        elif self.region is None or t - self.anchored >= self.period or not (
            self.region[0] <= cx < self.region[2] and self.region[1] <= cy < self.region[3]):
            self._anchor(box, frame.shape, t)
        rx0, ry0, rx1, ry1 = self.region
        patch = frame[ry0:ry1, rx0:rx1].astype(np.float32)
        m = np.tensordot(self.basis, patch, axes=([1, 2], [0, 1])) / self.sums[:, None]  # (J, 3)
        if self.state is None:
            self.state = np.stack([signal.sosfilt_zi(self.sos)] * m.size, axis=-1) * m.ravel()
        b, self.state = signal.sosfilt(self.sos, m.ravel()[None, :], axis=0, zi=self.state)
        target = b[0].reshape(m.shape)
        if self.decoy_amp:
            from privacycam.pulse.colour import BLOOD_VOLUME_BGR
            d = self.noise.advance()
            target = target + self.decoy_amp * d * target * (BLOOD_VOLUME_BGR / np.abs(BLOOD_VOLUME_BGR).max())
        A = self.A
        c = np.linalg.solve(A.T @ A + self.ridge * np.eye(len(A)), A.T @ (target - m))
        c = np.clip(c, -self.clip, self.clip)
        edit = np.tensordot(c.T, self.basis, axes=1).transpose(1, 2, 0)  # (h, w, 3)
        out = frame.copy()
        out[ry0:ry1, rx0:rx1] = np.clip(np.rint(patch + edit), 0, 255).astype(np.uint8)
        return out


def main():
    clip = sys.argv[1]
    filtered = sys.argv[2]
    variants = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {"k2": {}}
    names = sys.argv[4].split(",") if len(sys.argv) > 4 else ATT
    attackers = load_estimators(list(names))
    fps, orig = frames_of(DATA / f"{clip}.mp4")
    cache = Path(f"/tmp/{clip}-probe-boxes.npz")
    tracker = FaceTracker()
    from privacycam.rppg.roi import Box
    if cache.exists():
        z = np.load(cache)
        boxes, faces = z["boxes"], z["faces"]
    else:
        boxes = np.array([(b.x, b.y, b.w, b.h) for _, b in with_boxes(iter(orig), max(1, round(WINDOW_S * fps)))])
        faces = []
        for f in orig:
            obs = tracker.observe(f)
            faces.append(obs.box if obs is not None else faces[-1])
        faces = np.array(faces)
        np.savez(cache, boxes=boxes, faces=faces)
    bx = [Box(*map(int, b)) for b in boxes]
    faces = [tuple(int(v) for v in f) for f in faces]
    crops_o = np.stack([crop(f, b, CROP_SIZE) for f, b in zip(orig, bx)])
    raw_o = {a.name: a.waveform(crops_o, fps) for a in attackers}
    _, filt = frames_of(filtered)
    for label, params in variants.items():
        t0 = time.perf_counter()
        if params is None:
            out = filt
        elif params.get("exact"):
            stab = Stabiliser(fps, k=0, **{k: v for k, v in params.items() if k != "exact"})
            out = []
            for i, (f, b) in enumerate(zip(filt, bx)):
                out.append(stab(f, (b.x, b.y, b.x + b.w, b.y + b.h), i / fps, fixed=(b.x, b.y, b.x + b.w, b.y + b.h)))
        else:
            stab = Stabiliser(fps, **params)
            out = [stab(f, fb, i / fps) for i, (f, fb) in enumerate(zip(filt, faces))]
        dt = (time.perf_counter() - t0) / len(out) * 1000
        crops_f = np.stack([crop(f, b, CROP_SIZE) for f, b in zip(out, bx)])
        psnr = metrics.psnr_from_mse(float(np.mean([metrics.mse(a, b) for a, b in zip(orig, out)])))
        readings = [compare_waveforms(a.name, a.family, raw_o[a.name], a.waveform(crops_f, fps), fps, None) for a in attackers]
        attacker_verdicts(readings, None)
        counted = [e for e in readings if e.counted]
        print(f"{clip} {label:12} {sum(e.defeated for e in counted)}/{len(counted)} lost, PSNR {psnr:.2f}, {dt:.1f} ms/frame; "
              + " ".join(f"{e.name}:{e.pearson_r:+.2f}/{e.within_original:.2f}{'' if e.defeated else '!'}{'' if e.counted else '(nc)'}" for e in readings), flush=True)


if __name__ == "__main__":
    main()
