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
    rec: dict[str, Tensor] | None = None,
) -> tuple[Tensor, State]:
    """Apply ``cell.step`` at every time step: the only forward sequence loop of the package.

    Args:
        cell: any ``RecurrentCell``.
        xp: (T, B, G*H) input projections of all steps, time-major (one matmul, done before).
        state: initial state, tuple of (B, H).
        reverse: walk from t = T−1 down to 0 (the backward direction of a bidirectional layer).
        mask: (B, H) recurrent dropout mask, the same at every step, or None.
        rec: None, or (without autograd only) a dict that receives, in time order, (T, B, ·)
            per name of ``cell.recorded`` and ``"h"``: out (for the hand-written backward and
            for tracing). The buffers are allocated once; each step writes into its views.

    Returns:
        out (T, B, H) hidden states in time order, and the state after the last step.
    """
    T, B = xp.shape[:2]
    steps = range(T - 1, -1, -1) if reverse else range(T)
    xps = xp.unbind(0)  # T x (B, G*H)
    hs: list[Tensor] = [xp] * T
    views: list[dict[str, Tensor] | None] = [None] * T
    if rec is not None:
        widths = {**cell.recorded, "h": 1}
        rec.update({k: xp.new_empty(T, B, w * cell.hidden_size) for k, w in widths.items()})
        per_name = {k: v.unbind(0) for k, v in rec.items()}  # T x (B, ·) per name
        views = [{k: v[t] for k, v in per_name.items()} for t in range(T)]
    for t in steps:
        hs[t], state = cell.step(xps[t], state, mask, views[t])
    out = torch.stack(hs) if rec is None else rec["h"]  # (T, B, H)
    return out, state
