"""Per-user refinement of the identity edit: warm-started gradient steps against dlib's
face-recognition ResNet (torch) on the face the camera sees now.

The amortised network alone does not generalise to people it never saw (trained on 7
identities); a few steps per plan on the current face do. The chip the recogniser sees is
rendered from the window's canonical crop with a typical chip↔canonical map; each step
draws fresh input transformations (EOT) so the edit does not hinge on one exact view.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from privacycam.editors.deid_net import AMPLITUDE
from privacycam.identity.chip_ops import CANONICAL, TYPICAL_CHIP_TO_CANONICAL, random_transform, render
from privacycam.identity.dlib_resnet import load_dlib_resnet


def _oval(size: int = CANONICAL) -> torch.Tensor:
    """The face oval of the canonical square (the ellipse its anchors inscribe), feathered."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    r = np.hypot((xx - size / 2) / (0.46 * size), (yy - size / 2) / (0.48 * size))
    return torch.from_numpy(np.clip((1.0 - r) / 0.1, 0.0, 1.0).astype(np.float32))


def _oval_weights(grid: int) -> torch.Tensor:
    """(grid, grid) share of each edit cell that lies inside the face oval."""
    return F.adaptive_avg_pool2d(_oval()[None, None], grid)[0, 0]


class IdentityRefiner:
    """Gradient steps on one face's (g, g, 3) BGR edit: push dlib's descriptor of the edited
    face past ``margin`` from the original's, with an L2 price on the edit and (``rms_cap``)
    the edit's RMS over the face oval held at or below a cap (grey levels). ``optimizer``:
    ``adam`` or ``l2`` (steps along the L2-normalised gradient, ``lr`` grey levels of RMS
    per step: puts the edit where the gradient is, not evenly everywhere). Not thread-safe."""

    def __init__(self, steps: int = 2, lr: float = 1.5, margin: float = 1.1, l2_weight: float = 5e-4, batch: int = 2,
                 seed: int = 0, rms_cap: float | None = 13.0, optimizer: str = "l2") -> None:
        self.steps, self.lr, self.margin, self.l2_weight, self.batch = steps, lr, margin, l2_weight, batch
        self.rms_cap, self.optimizer = rms_cap, optimizer
        if optimizer not in ("adam", "l2"):
            raise ValueError(f"optimizer must be adam or l2, not {optimizer!r}")
        self._rng = np.random.default_rng(seed)
        torch.set_num_threads(1)  # process-wide: a second intra-op thread thrashes on 2 cores
        self._net = load_dlib_resnet()
        self._affine = torch.from_numpy(TYPICAL_CHIP_TO_CANONICAL)[None].expand(batch, 2, 3)
        self._mask = render(_oval()[None, None].expand(1, 3, CANONICAL, CANONICAL), self._affine[:1])[:, 0]
        self._edit: torch.Tensor | None = None
        self._opt: torch.optim.Adam | None = None
        self.distance = 0.0  # descriptor distance at the last step (under that step's transforms)

    def reset(self, edit: np.ndarray) -> None:
        """Start from ``edit`` (e.g. the network's output for a new face)."""
        self._edit = torch.from_numpy(edit.transpose(2, 0, 1)[None].astype(np.float32)).requires_grad_()
        self._weights = _oval_weights(self._edit.shape[-1])
        self._opt = torch.optim.Adam([self._edit], lr=self.lr) if self.optimizer == "adam" else None
        with torch.no_grad():
            self._project()

    def edit_rms(self, edit: torch.Tensor | None = None) -> float:
        """RMS of the edit over the face oval (grey levels, all three channels)."""
        edit = self._edit if edit is None else edit
        return float(self._rms(edit.detach()))

    def _rms(self, edit: torch.Tensor) -> torch.Tensor:
        return ((edit[0].pow(2) * self._weights).sum() / (3 * self._weights.sum())).sqrt()

    def _project(self) -> None:
        """Clamp to the network's amplitude, then scale down to ``rms_cap`` (in place)."""
        self._edit.clamp_(-AMPLITUDE, AMPLITUDE)
        if self.rms_cap is not None:
            rms = float(self._rms(self._edit))
            if rms > self.rms_cap:
                self._edit.mul_(self.rms_cap / rms)

    def refine(self, crops_bgr: np.ndarray, steps: int | None = None) -> np.ndarray:
        """``steps`` (default ``self.steps``) steps on the edit for one (64, 64, 3) canonical
        crop, or for (N, 64, 64, 3) crops of which each step draws ``batch`` at random."""
        assert self._edit is not None, "reset() first"
        crops = np.asarray(crops_bgr, np.float32)
        crops = torch.from_numpy((crops[None] if crops.ndim == 3 else crops).transpose(0, 3, 1, 2).copy())
        for _ in range(self.steps if steps is None else steps):
            picked = crops[self._rng.integers(len(crops), size=self.batch)] if len(crops) > 1 else crops.expand(self.batch, -1, -1, -1)
            chips = render(picked, self._affine)
            transform = random_transform(self._rng, self.batch)
            with torch.no_grad():
                reference = self._net(transform(chips))
            delta = render(self._edit.expand(self.batch, -1, -1, -1), self._affine, self._mask.expand(self.batch, -1, -1))
            dist = ((self._net(transform((chips + delta).clamp(0, 255))) - reference).pow(2).sum(1) + 1e-8).sqrt()
            loss = F.relu(self.margin - dist).mean() + self.l2_weight * delta.pow(2).mean()
            if self._opt is not None:
                self._opt.zero_grad()
                loss.backward()
                self._opt.step()
            else:
                (grad,) = torch.autograd.grad(loss, self._edit)
                with torch.no_grad():
                    norm = self._rms(grad) + 1e-12
                    self._edit.sub_(self.lr * grad / norm)
            with torch.no_grad():
                self._project()
            self.distance = dist.mean().item()
        return self._edit.detach()[0].numpy().transpose(1, 2, 0).copy()
