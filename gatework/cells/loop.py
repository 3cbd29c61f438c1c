"""The one time loop: run any cell over a sequence, forwards or backwards in time."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import RecurrentCell, State


def record_views(cell: RecurrentCell, xp: Tensor, rec: dict[str, Tensor]) -> list[dict]:
    """Allocate the recording buffers and cut them into every step's named views.

    Fills ``rec`` with one (T, B, width*H) buffer per name of ``cell.recorded`` and ``"h"``
    (``cell.xp_record``'s buffer is ``xp`` itself: the step overwrites its input projection),
    then cuts ``xp`` and the buffers into the blocks ``cell.blocks`` names, so that no step
    spends time slicing.

    Returns:
        T dicts (time order) of (B, ·) views: ``"xp"``, every buffer and every block.
    """
    T, B, H = *xp.shape[:2], cell.hidden_size
    for name, width in {**cell.recorded, "h": 1}.items():
        rec[name] = xp if name == cell.xp_record else xp.new_empty(T, B, width * H)
    full = {"xp": xp, **rec}  # (T, B, ·) each
    for name, parts in cell.blocks.items():
        full.update(zip(parts, full[name].split([k * H for k in parts.values()], -1), strict=True))
    per_name = {k: v.unbind(0) for k, v in full.items()}  # T x (B, ·) per name
    return [dict(zip(per_name, step, strict=True)) for step in zip(*per_name.values(), strict=True)]


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
            for tracing). The buffers are allocated once; each step writes into its views, and
            the steps run in inference mode (no autograd bookkeeping on any op).

    Returns:
        out (T, B, H) hidden states in time order, and the state after the last step.
    """
    T = xp.shape[0]
    steps = range(T - 1, -1, -1) if reverse else range(T)
    w = cell.step_weights()  # read by every step; prepared once
    if rec is None:
        xps = xp.unbind(0)  # T x (B, G*H)
        hs: list[Tensor] = [xp] * T
        for t in steps:
            hs[t], state = cell.step(xps[t], state, w, mask)
        return torch.stack(hs), state  # (T, B, H)
    views = record_views(cell, xp, rec)
    xp_name = cell.xp_record or "xp"  # the step's input, computed over in place when recorded
    with torch.inference_mode():  # views and states are ordinary tensors, written in place
        for t in steps:
            _, state = cell.step(views[t][xp_name], state, w, mask, views[t])
    return rec["h"], state
