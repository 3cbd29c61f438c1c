"""Fast path: the time loop as one autograd Function with a hand-written backward (BPTT).

Autograd through ``scan`` records ~10 small ops per step and replays them one by one; at the
sizes of this project that per-op overhead, not arithmetic, dominates. Here the forward runs
the very same ``cell.step`` without autograd, recording the values the backward needs; the
backward has two parts, both written by each cell next to its forward equations:

1. ``cell.backward_factors``: the local derivatives of every step, all T at once. The first
   two, (T, B, G*H), are ∂·/∂xp_t and ∂·/∂hp_t up to the factor δh_t (or δc_t) that only the
   recurrence knows; step t multiplies it in, in place, turning them into δxp_t and δhp_t, so
   the backward allocates no further (T, B, G*H) buffers.
2. ``cell.step_backward``: the recurrence back in time, a handful of ops per step.

The generic part, for any cell whose step is elementwise math on ``xp_t`` and
``hp_t = W_hh h_prev (+ b_hh)``::

    δh_t    = ∂L/∂out_t + δh_prev(from step t+1)
    δh_prev(direct), δstate_prev = cell.step_backward(factors_t, δh_t, δstate_t)
                                           (writes δxp_t and δhp_t in place)
    δh_prev = δh_prev(direct) + δhp_t W_hh                    one addmm per step
    δW_hh   = Σ_t δhp_tᵀ h_prev,t ;  δb_hh = Σ_t δhp_t        one matmul after the loop

The input projection ``xp = x W_ihᵀ + b`` runs inside the Function too. After the loop, δx is one
matmul and all weight and bias gradients one more (two for the GRU, whose δxp and δhp differ),
each with the long T·B axis as the shared one (several times faster on CPU than the other
orientation when F or H is small): at these sizes the backward is bound by passes over the
(T, B, G*H) buffers, so each δ is read as few times as possible.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from gatework.cells.base import RecurrentCell, State
from gatework.cells.loop import scan


def _previous(seq: Tensor, first: Tensor, reverse: bool) -> Tensor:
    """The state each step started from: seq (T, B, H) shifted by one step, ``first`` in front."""
    if reverse:
        return torch.cat([seq[1:], first[None]])  # step t follows step t+1
    return torch.cat([first[None], seq[:-1]])


def _with_previous(x: Tensor | None, h: Tensor, h0: Tensor, reverse: bool) -> Tensor:
    """``[x_t, h_prev,t, 1]`` of every step, (T*B, F+H+1) (without x_t when x is None): the
    right factor of the weight-gradient matmul, written into one buffer (no per-part copies)."""
    T, B, H = h.shape
    F = 0 if x is None else x.shape[-1]
    buf = h.new_empty(T, B, F + H + 1)  # (T, B, F+H+1)
    if x is not None:
        buf[..., :F] = x
    h_prev = buf[..., F : F + H]  # (T, B, H), filled as _previous returns it
    if reverse:
        h_prev[:-1], h_prev[-1] = h[1:], h0
    else:
        h_prev[1:], h_prev[0] = h[:-1], h0
    buf[..., -1] = 1
    return buf.flatten(0, 1)


class _BPTT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, cell, reverse, x, weight_ih, bias_ih, weight_hh, bias_hh, *state0):
        xp = cell.input_projection(x)  # (T, B, G*H), all steps in one matmul
        rec: dict[str, Tensor] = {}
        out, state = scan(cell, xp, state0, reverse, None, rec)  # (T, B, H)
        ctx.cell, ctx.reverse, ctx.names = cell, reverse, list(rec)
        ctx.save_for_backward(x, weight_ih, weight_hh, *rec.values(), *state0)
        return (out, *(s.clone() for s in state))  # the final state, apart from the buffers

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, *d_state_n):
        cell, reverse, names = ctx.cell, ctx.reverse, ctx.names
        x, weight_ih, weight_hh, *saved = ctx.saved_tensors
        rec = dict(zip(names, saved[: len(names)], strict=True))
        state0 = saved[len(names) :]
        prev = {
            k: _previous(rec[k], s0, reverse)
            for k, s0 in zip(cell.state_names, state0, strict=True)
        }
        # (T, B, ·) each; the first two become δxp and δhp, in place, step by step
        local = cell.backward_factors(rec, prev)
        del prev  # (T, B, H) each, not needed any more: the matmuls below rebuild h_prev in place
        d_xp, d_hp = local[0], local[1]  # (T, B, G*H), possibly the same tensor
        factors = list(zip(*(f.unbind(0) for f in local), strict=True))  # T x tuple of (B, ·)
        T = d_out.shape[0]
        order = range(T) if reverse else range(T - 1, -1, -1)  # the forward order, reversed
        d_outs = d_out.unbind(0)  # T x (B, H)
        d_hps = d_hp.unbind(0)
        dh, d_rest = d_state_n[0] + d_outs[order[0]], tuple(d_state_n[1:])  # δh at the last step
        for n, t in enumerate(order):
            dh_direct, d_rest = cell.step_backward(factors[t], dh, d_rest)
            if n + 1 < T:  # δh of the step before: ∂L/∂out there + δh_prev(direct) + δhp_t W_hh
                base = d_outs[order[n + 1]]
            else:  # δh_0, the gradient of the initial state
                base = torch.zeros_like(dh)
            if dh_direct is not None:
                base = base + dh_direct
            dh = torch.addmm(base, d_hps[t], weight_hh)

        # after the loop: δx, then the weight gradients, reading each δ once: one matmul of
        # δᵀ with [inputs of every step, a column of ones], whose last column is the bias's
        d_xp2, d_hp2 = d_xp.flatten(0, 1), d_hp.flatten(0, 1)  # (T*B, G*H)
        d_x = (weight_ih.t() @ d_xp2.t()).t().view(x.shape)  # (T, B, F) δxp_t W_ih
        F, H = x.shape[-1], weight_hh.shape[1]
        h, h0 = rec["h"], state0[0]
        if d_hp is d_xp:  # δxp_t = δhp_t: [δW_ih, δW_hh, δb] = Σ_t δpre_tᵀ [x_t, h_prev, 1]
            inputs = _with_previous(x, h, h0, reverse)  # (T*B, F+H+1)
            d_wi, d_weight_hh, d_bi = (inputs.t() @ d_xp2).t().split([F, H, 1], 1)
            d_bh = d_bi
        else:
            ones = x.new_ones(*x.shape[:-1], 1)  # (T, B, 1)
            d_wi, d_bi = (torch.cat([x, ones], -1).flatten(0, 1).t() @ d_xp2).t().split([F, 1], 1)
            h_prev = _with_previous(None, h, h0, reverse)  # (T*B, H+1)
            d_weight_hh, d_bh = (h_prev.t() @ d_hp2).t().split([H, 1], 1)
        d_weight_ih = d_wi  # (G*H, F)
        d_bias_ih = d_bi.squeeze(1) if ctx.needs_input_grad[4] else None  # (G*H,)
        d_bias_hh = None
        if ctx.needs_input_grad[6]:  # b_hh sits in xp (folded) or in hp
            d_bias_hh = d_bias_ih if cell.fold_hidden_bias else d_bh.squeeze(1)
        return (None, None, d_x, d_weight_ih, d_bias_ih, d_weight_hh, d_bias_hh, dh, *d_rest)


def bptt(
    cell: RecurrentCell, x: Tensor, state: State, reverse: bool = False
) -> tuple[Tensor, State]:
    """``scan(cell, cell.input_projection(x), state, reverse)`` with the hand-written backward.

    Args:
        cell: a cell with ``fast_path_ok`` (no layer norm; GRU with ``reset_after=True``).
        x: (T, B, F) time-major inputs; the input projection runs inside (its backward too).
        state: initial state, tuple of (B, H).
        reverse: walk the sequence from the last step to the first.

    Returns:
        out (T, B, H) and the final state, as ``scan`` returns them.
    """
    if not torch.is_grad_enabled():  # inference: nothing to record
        return scan(cell, cell.input_projection(x), state, reverse)
    params = (cell.weight_ih, cell.bias_ih, cell.weight_hh, cell.bias_hh)
    out, *final = _BPTT.apply(cell, reverse, x, *params, *state)
    return out, tuple(final)
