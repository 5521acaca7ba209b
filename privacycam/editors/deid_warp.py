"""Per-user search for an identity change made of structure, not noise: a smooth displacement
field over the canonical face (its geometry: eye spacing and shape, brows, nose, mouth,
jaw) plus a smooth low-frequency tone field, against dlib's face-recognition ResNet.

Both fields live on coarse control grids over the canonical square, upsampled bilinearly
and faded out towards the face oval's edge, so the change has no high-frequency pattern and
nothing outside the face moves. The canonical square is anchored to the face mesh's
landmarks every frame, so the pipeline's warp follows head motion and expression.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from privacycam.identity.chip_ops import CANONICAL, TYPICAL_CHIP_TO_CANONICAL, random_transform, render
from privacycam.identity.dlib_resnet import load_dlib_resnet

FLOW_GRID = 6  # control points per side of the displacement field
TONE_GRID = 4  # control points per side of the tone field


def oval_fade(size: int = CANONICAL) -> np.ndarray:
    """(size, size) weight: 1 over the inner face, falling smoothly to 0 at the face oval."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    r = np.hypot((xx - size / 2) / (0.47 * size), (yy - size / 2) / (0.49 * size))
    t = np.clip((1.0 - r) / 0.3, 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def upsample(control: torch.Tensor, size: int = CANONICAL) -> torch.Tensor:
    """(N, C, g, g) control grid → (N, C, size, size), bilinear over the whole square."""
    return F.interpolate(control, size=(size, size), mode="bilinear", align_corners=True)


def warp_crops(crops: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """(N, 3, S, S) crops resampled at ``pixel + flow`` ((1, 2, S, S) canonical pixels, x then y)."""
    n, _, size, _ = crops.shape
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij")
    x = (xs + 0.5 + flow[:, 0]) / size * 2 - 1
    y = (ys + 0.5 + flow[:, 1]) / size * 2 - 1
    grid = torch.stack([x, y], -1).expand(n, -1, -1, -1)
    return F.grid_sample(crops, grid, mode="bilinear", padding_mode="border", align_corners=False)


class WarpRefiner:
    """Gradient steps on one face's displacement (at most ``max_shift`` canonical pixels per
    control point) and tone (at most ``max_tone`` grey levels) fields: push dlib's
    descriptor of the changed face past ``margin`` from the original's. Each step draws
    ``batch`` of the given crops and fresh input transformations (EOT). Not thread-safe."""

    def __init__(self, steps: int = 3, lr: float = 0.3, margin: float = 0.8, max_shift: float = 3.0,
                 max_tone: float = 6.0, tone_lr: float = 1.0, batch: int = 2, seed: int = 0) -> None:
        self.steps, self.lr, self.margin, self.batch = steps, lr, margin, batch
        self.max_shift, self.max_tone, self.tone_lr = max_shift, max_tone, tone_lr
        self._rng = np.random.default_rng(seed)
        torch.set_num_threads(1)  # process-wide: a second intra-op thread thrashes on 2 cores
        self._net = load_dlib_resnet()
        self._affine = torch.from_numpy(TYPICAL_CHIP_TO_CANONICAL)[None].expand(batch, 2, 3)
        self._fade = torch.from_numpy(oval_fade())[None, None]
        # a seeded start off the face itself: the distance has no gradient where nothing changed
        start = np.random.default_rng(seed + 1)
        flow = start.uniform(-0.1, 0.1, (1, 2, FLOW_GRID, FLOW_GRID)) * max_shift
        tone = start.uniform(-0.1, 0.1, (1, 3, TONE_GRID, TONE_GRID)) * max_tone
        self._flow = torch.tensor(flow, dtype=torch.float32, requires_grad=True)
        self._tone = torch.tensor(tone, dtype=torch.float32, requires_grad=True)
        self.distance = 0.0  # descriptor distance at the last step (under that step's transforms)

    def fields(self) -> tuple[np.ndarray, np.ndarray]:
        """The dense ((S, S, 2) displacement in canonical pixels, (S, S, 3) BGR tone) fields."""
        with torch.no_grad():
            flow, tone = self._dense()
        return flow[0].numpy().transpose(1, 2, 0).copy(), tone[0].numpy().transpose(1, 2, 0).copy()

    def _dense(self) -> tuple[torch.Tensor, torch.Tensor]:
        return upsample(self._flow) * self._fade, upsample(self._tone) * self._fade

    def change(self, crops: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) BGR crops with the current fields applied (differentiable)."""
        flow, tone = self._dense()
        return (warp_crops(crops, flow) + tone).clamp(0, 255)

    def refine(self, crops_bgr: np.ndarray, steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``steps`` (default ``self.steps``) steps on (N, S, S, 3) BGR canonical crops; the dense fields."""
        crops = torch.from_numpy(np.asarray(crops_bgr, np.float32).transpose(0, 3, 1, 2).copy())
        for _ in range(self.steps if steps is None else steps):
            picked = crops[self._rng.integers(len(crops), size=self.batch)]
            transform = random_transform(self._rng, self.batch)
            with torch.no_grad():
                reference = self._net(transform(render(picked, self._affine)))
            changed = render(self.change(picked), self._affine)
            dist = ((self._net(transform(changed)) - reference).pow(2).sum(1) + 1e-8).sqrt()
            loss = F.relu(self.margin - dist).mean()
            if float(loss.detach()) == 0.0:
                self.distance = dist.mean().item()
                continue
            flow_grad, tone_grad = torch.autograd.grad(loss, (self._flow, self._tone))
            with torch.no_grad():  # steps of fixed RMS size along each gradient, then the bounds
                self._flow.sub_(self.lr * flow_grad / (flow_grad.pow(2).mean().sqrt() + 1e-12))
                self._tone.sub_(self.tone_lr * tone_grad / (tone_grad.pow(2).mean().sqrt() + 1e-12))
                self._flow.clamp_(-self.max_shift, self.max_shift)
                self._tone.clamp_(-self.max_tone, self.max_tone)
            self.distance = dist.mean().item()
        return self.fields()
