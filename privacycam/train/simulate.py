"""Stream the pulse editor causally over canonical clips, as the pipeline does, in torch.

Plans are made every ``plan_every`` frames from the last ``WINDOW`` frames; each frame gets
its plan's edit at its age, cross-faded with the previous plan over ``crossfade`` frames,
warped onto the skin mask. The loss therefore sees what an attacker sees: sent frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from privacycam.editors.pulse_net import PulseEditorNet


def cell_stats(crops: torch.Tensor, masks: torch.Tensor, grid: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Skin-weighted cell colours (B,N,g,g,3) and coverage (B,N,g,g) of (B,N,3,S,S) crops, (B,N,S,S) masks."""
    b, n, _, s, _ = crops.shape
    k = s // grid
    sums = F.avg_pool2d((crops * masks.unsqueeze(2)).reshape(b * n, 3, s, s), k)
    cover = F.avg_pool2d(masks.reshape(b * n, 1, s, s), k)
    cells = sums / cover.clamp_min(1e-6)
    return cells.reshape(b, n, 3, grid, grid).permute(0, 1, 3, 4, 2), cover.reshape(b, n, grid, grid)


def stream_edits(
    net: PulseEditorNet,
    crops: torch.Tensor,
    masks: torch.Tensor,
    drive: torch.Tensor,
    mode_index: torch.Tensor,
    plan_every: int = 10,
    crossfade: int = 10,
) -> torch.Tensor:
    """Additive grey-level edits (B, L, 3, S, S) for frames ``history:`` of the clips.

    ``crops`` (B,N,3,S,S) BGR 0-255, ``masks`` (B,N,S,S), ``drive`` (B,N), ``mode_index``
    (B,) 0 spoof-hr / 1 erase; history = ``net.window + plan_every`` frames, L = N - history,
    a multiple of ``plan_every``.
    """
    b, n, _, s, _ = crops.shape
    w, g, step = net.window, net.grid, plan_every
    history = w + step
    length = n - history
    plans = length // step + 1
    cells, cover = cell_stats(crops, masks, g)
    ends = history - step + step * torch.arange(plans)  # newest frame of each plan's window
    index = ends[:, None] + torch.arange(-w + 1, 1)[None]  # (K, W)
    win_cells, win_cover = cells[:, index], cover[:, index]  # (B,K,W,g,g,3), (B,K,W,g,g)
    mean = win_cells.mean(dim=2, keepdim=True)
    rel = 100.0 * (win_cells / mean.clamp_min(1.0) - 1.0)
    x = torch.cat([rel, win_cover.unsqueeze(-1)], dim=-1).reshape(b * plans, w, g, g, 4)
    level = (mean[:, :, 0] / 255.0).permute(0, 1, 4, 2, 3).reshape(b * plans, 3, g, g)
    cancel, inject, _ = net(x, level)
    grey = 2.55 * level.reshape(b, plans, 1, 3, g, g)  # percent -> grey levels
    cancel = cancel.reshape(b, plans, -1, 3, g, g) * grey
    inject = inject.reshape(b, plans, 2, 3, g, g)[torch.arange(b), :, mode_index] * grey[:, :, 0]

    offsets = torch.arange(length)
    current, age = offsets // step + 1, offsets % step
    fade = torch.clamp((age + 1).float() / (crossfade + 1), max=1.0).view(1, length, 1, 1, 1)
    frame_drive = drive[:, history:].view(b, length, 1, 1, 1)

    def edit(plan: torch.Tensor, plan_age: torch.Tensor) -> torch.Tensor:
        return frame_drive * inject[:, plan] - cancel[:, plan, plan_age]

    cells_edit = fade * edit(current, age) + (1 - fade) * edit(current - 1, age + step)
    up = F.interpolate(cells_edit.reshape(b * length, 3, g, g), size=(s, s), mode="bilinear", align_corners=False)
    return up.reshape(b, length, 3, s, s) * masks[:, history:].unsqueeze(2)
