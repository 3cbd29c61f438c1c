"""The one time loop: run any cell over a sequence, forwards or backwards in time."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import RecurrentCell, State


def scan(
    cell: RecurrentCell,
    xp: Tensor,
    state: State,
    reverse: bool = False,
    mask: Tensor | None = None,
    bufs: dict[str, Tensor] | None = None,
) -> tuple[Tensor, State]:
    """Apply ``cell.step`` at every time step: the only sequence loop of the package.

    Args:
        cell: any ``RecurrentCell``.
        xp: (T, B, G*H) input projections of all steps, time-major (one matmul, done before).
        state: initial state, tuple of (B, H).
        reverse: walk from t = T−1 down to 0 (the backward direction of a bidirectional layer).
        mask: (B, H) recurrent dropout mask, the same at every step, or None.
        bufs: None (autograd records the graph), or one preallocated (T, B, width*H) tensor per
            name in ``cell.slots``: step t writes its intermediate values into ``bufs[k][t]``.

    Returns:
        out (T, B, H) hidden states in time order, and the state after the last step.
    """
    T = xp.shape[0]
    steps = range(T - 1, -1, -1) if reverse else range(T)
    xps = xp.unbind(0)  # T x (B, G*H)
    if bufs is None:
        hs = [None] * T
        for t in steps:
            hs[t], state = cell.step(xps[t], state, mask)
        return torch.stack(hs), state  # (T, B, H)
    names = list(bufs)
    per_step = [
        dict(zip(names, views, strict=True))
        for views in zip(*(bufs[k].unbind(0) for k in names), strict=True)
    ]
    for t in steps:
        _, state = cell.step(xps[t], state, mask, per_step[t])
    return bufs["h"], state


def alloc_slots(cell: RecurrentCell, T: int, B: int, like: Tensor) -> dict[str, Tensor]:
    """Uninitialised (T, B, width*H) buffers for every name in ``cell.slots``."""
    H = cell.hidden_size
    return {k: like.new_empty(T, B, w * H) for k, w in cell.slots.items()}
