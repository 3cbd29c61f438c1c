"""Fast path: the time loop as one autograd Function with a hand-written backward (BPTT).

Autograd through ``scan`` records ~10 small ops per step and replays them one by one; at the
sizes of this project that per-op overhead, not arithmetic, dominates. Here the forward runs
the very same ``cell.step`` without autograd, writing every intermediate into preallocated
(T, B, ·) buffers (``cell.slots``), and the backward walks back in time calling
``cell.step_backward``, whose docstring holds the gate-gradient equations. Generic part (any
cell whose step is ``pre = xp_t + W_hh h_prev (+ b_hh)`` followed by elementwise math):

    δh_t    = ∂L/∂out_t + δh_t(from t+1)
    δxp_t, δhp_t, δstate_prev(direct) = cell.step_backward(...)
    δh_prev = δh_prev(direct) + δhp_t W_hh                    one addmm per step
    δW_hh   = Σ_t δhp_tᵀ h_prev,t ;  δb_hh = Σ_t δhp_t        one matmul after the loop

``δxp`` flows back through the (autograd) input projection to ``x``, ``W_ih`` and the biases.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from gatework.cells.base import RecurrentCell, State
from gatework.cells.loop import alloc_slots, scan


class _BPTT(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx,
        cell: RecurrentCell,
        reverse: bool,
        xp: Tensor,
        weight_hh: Tensor,
        bias_hh: Tensor | None,
        *state0: Tensor,
    ):
        T, B, _ = xp.shape
        bufs = alloc_slots(cell, T, B, xp)
        out, state = scan(cell, xp, state0, reverse, None, bufs)  # out is bufs["h"]
        ctx.cell, ctx.reverse, ctx.names = cell, reverse, list(bufs)
        ctx.has_bias = bias_hh is not None
        ctx.save_for_backward(weight_hh, *bufs.values(), *state0)
        return (out, *(s.clone() for s in state))

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out: Tensor, *d_state_n: Tensor):
        cell, reverse = ctx.cell, ctx.reverse
        weight_hh, *rest = ctx.saved_tensors
        bufs = dict(zip(ctx.names, rest[: len(ctx.names)], strict=True))
        state0 = tuple(rest[len(ctx.names) :])
        T, B, _ = d_out.shape
        d_xp = d_out.new_empty(T, B, weight_hh.shape[0])  # (T, B, G*H)
        d_hp = d_xp if cell.fold_hidden_bias else torch.empty_like(d_xp)

        names = ctx.names
        saved = [
            dict(zip(names, v, strict=True))
            for v in zip(*(bufs[k].unbind(0) for k in names), strict=True)
        ]
        states = [tuple(saved[t][k] for k in cell.state_names) for t in range(T)]
        d_outs, d_xps, d_hps = d_out.unbind(0), d_xp.unbind(0), d_hp.unbind(0)
        steps = range(T) if reverse else range(T - 1, -1, -1)  # reverse of the forward order
        dh, d_rest = d_state_n[0], tuple(d_state_n[1:])
        for t in steps:
            prev = t + 1 if reverse else t - 1
            state_prev = state0 if prev < 0 or prev >= T else states[prev]
            dh = dh + d_outs[t]  # (B, H) δh_t
            direct = cell.step_backward(saved[t], state_prev, dh, d_rest, d_xps[t], d_hps[t])
            d_rest = direct[1:]
            if direct[0] is None:
                dh = torch.mm(d_hps[t], weight_hh)  # δh_prev = δhp_t W_hh
            else:
                dh = torch.addmm(direct[0], d_hps[t], weight_hh)

        h, h0 = bufs["h"], state0[0]  # (T, B, H), (B, H)
        if reverse:
            h_prev = torch.cat([h[1:], h0[None]])  # (T, B, H): the state each step read
        else:
            h_prev = torch.cat([h0[None], h[:-1]])
        d_weight_hh = d_hp.flatten(0, 1).t() @ h_prev.flatten(0, 1)  # (G*H, H)
        d_bias_hh = d_hp.sum((0, 1)) if ctx.has_bias else None
        return (None, None, d_xp, d_weight_hh, d_bias_hh, dh, *d_rest)


def bptt(
    cell: RecurrentCell, xp: Tensor, state: State, reverse: bool = False
) -> tuple[Tensor, State]:
    """``scan(cell, xp, state, reverse)`` with the hand-written backward.

    Args:
        cell: a cell with ``fast_path_ok`` (no layer norm; GRU with ``reset_after=True``).
        xp: (T, B, G*H) input projections (from ``cell.input_projection``).
        state: initial state, tuple of (B, H).
        reverse: walk the sequence from the last step to the first.

    Returns:
        out (T, B, H) and the final state, as ``scan`` returns them.
    """
    bias = None if cell.fold_hidden_bias else cell.bias_hh
    out, *final = _BPTT.apply(cell, reverse, xp, cell.weight_hh, bias, *state)
    return out, tuple(final)
