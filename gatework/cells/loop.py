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
        rec: None, or a dict that receives every value the steps recorded, stacked in time
            order, (T, B, ·) per name, and ``"h"``: out (for the hand-written backward and for
            tracing).

    Returns:
        out (T, B, H) hidden states in time order, and the state after the last step.
    """
    T = xp.shape[0]
    steps = range(T - 1, -1, -1) if reverse else range(T)
    xps = xp.unbind(0)  # T x (B, G*H)
    hs: list[Tensor] = [xp] * T
    per_step: list[dict[str, Tensor]] | None = None if rec is None else []
    for t in steps:
        hs[t], state = cell.step(xps[t], state, mask, per_step)
    out = torch.stack(hs)  # (T, B, H)
    if rec is not None:
        per_step = per_step[::-1] if reverse else per_step  # time order
        for k in list(per_step[0]) if per_step else []:  # pop: free each step's copy once stacked
            rec[k] = torch.stack([r.pop(k) for r in per_step])  # (T, B, ·)
        rec["h"] = out
    return out, state
