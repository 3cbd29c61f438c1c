"""The one time loop: run any cell's ``step`` over a sequence, forwards or backwards in time."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import RecurrentCell, State


def scan(
    cell: RecurrentCell,
    wx: Tensor,
    state: State,
    reverse: bool = False,
    mask: Tensor | None = None,
    lengths: Tensor | None = None,
    trace: list[dict[str, Tensor]] | None = None,
) -> tuple[Tensor, State]:
    """``values = cell.step(wx_t, state)`` at every time step t, the state carried along.

    Args:
        cell: any ``RecurrentCell``.
        wx: (T, B, G*H) ``W_ih x_t + b_ih`` of every step, time-major (one matmul, done before).
        state: initial state, tuple of (B, ·).
        reverse: walk from t = T−1 down to 0 (the backward direction of a bidirectional layer).
        mask: (B, H) recurrent dropout mask, the same at every step, or None.
        lengths: (B,) true length of each sequence (packed input), or None when all are T:
            a sequence past its end keeps its state and outputs zeros, so its final state is
            the one at its last step, in either direction.
        trace: None, or an empty list that receives every step's named values in time order
            (zeros past a sequence's end, like its outputs).

    Returns:
        out (T, B, ·) hidden states in time order, and the state after the last step.
    """
    walk = range(len(wx) - 1, -1, -1) if reverse else range(len(wx))
    outs: list[Tensor] = []
    for t in walk:
        values = cell.step(wx[t], state, mask)
        new_state = tuple(values[name] for name in cell.state_names)
        if lengths is not None:  # past its end, a sequence keeps its state and its values are 0
            running = (t < lengths)[:, None]  # (B, 1)
            pairs = zip(new_state, state, strict=True)
            new_state = tuple(torch.where(running, new, old) for new, old in pairs)
            values = {name: v * running for name, v in values.items()}
        outs.append(values["h"])
        if trace is not None:
            trace.append(values)
        state = new_state
    if reverse:  # back into time order
        outs.reverse()
        if trace is not None:
            trace.reverse()
    return torch.stack(outs), state  # (T, B, ·)
