"""The time loop as one autograd Function with a hand-written backward through time (BPTT).

Autograd through the textbook loop records ~10 small ops per step and replays them one by one;
at the sizes of this project that per-op overhead, not arithmetic, dominates. Here the forward
runs a kernel's steps without autograd, recording the values the backward needs
(``recording.record``); the backward walks time in chunks of steps (``recording.time_chunks``,
sized to stay in the CPU cache) and has two parts per chunk, both written by each kernel next
to its forward step:

1. ``kernel.backward_factors``: the local derivatives of the chunk's steps, all at once, and the
   two (k, B, G*H) buffers that become δxp and δhp (possibly the same tensor): step t
   multiplies δh_t (or δc_t), which only the recurrence knows, into its slice in place.
2. ``kernel.step_backward``: the recurrence back in time, a handful of ops per step.

The generic part, for any cell whose step is elementwise math on ``xp_t`` and
``hp_t = W_hh h_prev (+ b_hh)``::

    δh_t    = ∂L/∂out_t + δh_prev(from step t+1)
    δh_prev(direct), δhp_t, δstate_prev = kernel.step_backward(factors_t, δh_t, δstate_t,
                                                               ∂L/∂out_prev)
    δh_prev = δh_prev(direct) + δhp_t W_hh                    one addmm per step
    δW_ih  += Σ_t δxp_tᵀ x_t ;  δb_ih += Σ_t δxp_t            per chunk, after its steps
    δW_hh  += Σ_t δhp_tᵀ h_prev,t ;  δb_hh += Σ_t δhp_t       (= δb_ih when b_hh is in xp)
    δx_t    = δxp_t W_ih                                      only if x needs a gradient

The chunk's matmuls share the long k·B axis (several times faster on CPU than the other
orientation when F or H is small) and read x and h_prev where they lie. Both loops run in
inference mode: their ops write into ordinary buffers, and autograd's bookkeeping (~10% of a
small op) is skipped. The input projection ``xp = x W_ihᵀ + b`` runs inside the Function too.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import State
from gatework.cells.fast.kernel import Kernel
from gatework.cells.fast.recording import record, time_chunks


def _previous(seq: Tensor, first: Tensor, reverse: bool) -> Tensor:
    """The state each step started from: seq (k, B, H) shifted by one step, ``first`` (the
    state before the earliest of these steps in walking order) in front."""
    if reverse:
        return torch.cat([seq[1:], first[None]])  # step t follows step t+1
    return torch.cat([first[None], seq[:-1]])


def _before(seq: Tensor, s0: Tensor, steps: slice, reverse: bool) -> Tensor:
    """The state before the first step (in walking order) of ``seq[steps]``: ``s0`` at the
    sequence's start, else the neighbouring step's value."""
    if reverse:
        return seq[steps.stop] if steps.stop < len(seq) else s0
    return seq[steps.start - 1] if steps.start > 0 else s0


def _add_hidden_gradient(
    acc: Tensor, d_hp: Tensor, h: Tensor, h0: Tensor, steps: slice, reverse: bool
) -> None:
    """``acc += Σ_t h_prev,tᵀ δhp_t`` over ``steps``, (H, G*H), reading h_prev straight from
    the recorded h (T, B, H) without copying it: h_prev,t = h[t−1] (h[t+1] in reverse), and
    h0 for the first step of the walk. d_hp: (k, B, G*H) of those steps."""
    lo, hi, k = steps.start, steps.stop, len(d_hp)
    starts = (not reverse and lo == 0) or (reverse and hi == len(h))  # the walk's first step
    if reverse:  # steps lo..hi−1 follow h[lo+1..hi]; the last one of the sequence follows h0
        from_h, d_from_h, d_first = h[lo + 1 : hi + 1], d_hp[: k - starts], d_hp[-1]
    else:  # steps lo..hi−1 follow h[lo−1..hi−2]; step 0 follows h0
        from_h, d_from_h, d_first = h[max(lo - 1, 0) : hi - 1], d_hp[starts:], d_hp[0]
    if len(from_h):
        acc.addmm_(from_h.flatten(0, 1).t(), d_from_h.flatten(0, 1))
    if starts:
        acc.addmm_(h0.t(), d_first)


class _BPTT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, kernel, reverse, x, weight_ih, bias_ih, weight_hh, bias_hh, *state0):
        rec: dict[str, Tensor] = {}
        out, state = record(kernel, x, state0, reverse, rec)  # (T, B, H)
        ctx.kernel, ctx.reverse, ctx.names = kernel, reverse, list(rec)
        ctx.save_for_backward(x, weight_ih, weight_hh, *rec.values(), *state0)
        return (out, *(s.clone() for s in state))  # the final state, apart from the buffers

    @staticmethod
    def backward(ctx, d_out, *d_state_n):
        if torch.is_grad_enabled():  # create_graph=True: these gradients have no graph of their own
            raise RuntimeError(
                "the fast kernel's backward is not differentiable (no second derivatives, "
                "create_graph=True): build the layer with fast=False"
            )
        kernel, reverse, names = ctx.kernel, ctx.reverse, ctx.names
        x, weight_ih, weight_hh, *saved = ctx.saved_tensors
        rec = dict(zip(names, saved[: len(names)], strict=True))
        state0 = dict(zip(kernel.state_names, saved[len(names) :], strict=True))
        (T, B, F), (GH, H) = x.shape, weight_hh.shape
        # ∂L/∂out of the step before each step, zeros before the first: T x (B, H)
        d_outs, zero = list(d_out.unbind(0)), torch.zeros_like(d_out[0])
        d_out_prev = d_outs[1:] + [zero] if reverse else [zero] + d_outs[:-1]
        shared = kernel.fold_hidden_bias  # δxp = δhp (b_hh folded into xp)
        # the weight-gradient sums Σ_t x_tᵀ δxp_t, Σ_t h_prev,tᵀ δhp_t, Σ_t δxp_t, Σ_t δhp_t,
        # accumulated chunk by chunk: (F, G*H), (H, G*H), (G*H,), (G*H,)
        d_wi, d_wh, d_bi = x.new_zeros(F, GH), x.new_zeros(H, GH), x.new_zeros(GH)
        d_bh = d_bi if shared else x.new_zeros(GH)
        d_x = x.new_empty(T, B, F) if ctx.needs_input_grad[2] else None  # not for data inputs
        dh, d_rest = d_state_n[0] + d_outs[0 if reverse else -1], tuple(d_state_n[1:])
        on_cpu = x.device.type == "cpu"
        for steps in time_chunks(T, B * GH * x.element_size(), not reverse, on_cpu):
            lo = min(steps[0], steps[-1])
            sl = slice(lo, lo + len(steps))
            rec_k = {k: v[sl] for k, v in rec.items()}  # (k, B, ·) each
            prev = {  # the previous states the cell's derivatives read, (k, B, H) each
                k: _previous(rec_k[k], _before(rec[k], state0[k], sl, reverse), reverse)
                for k in kernel.needs_previous
            }
            # the first two, (k, B, G*H), become δxp and δhp in place, step by step
            d_xp, d_hp, local = kernel.backward_factors(rec_k, prev)
            factors = list(zip(*(f.unbind(0) for f in local), strict=True))  # k x (B, ·) tuples
            with torch.inference_mode():
                for t in steps:
                    dh_direct, d_hp_t, d_rest = kernel.step_backward(
                        factors[t - lo], dh, d_rest, d_out_prev[t]
                    )
                    dh = torch.addmm(dh_direct, d_hp_t, weight_hh)  # δh of the step before
            # this chunk's share of δx and of the weight-gradient sums (long shared axis k·B)
            d_xp2 = d_xp.flatten(0, 1)  # (k*B, G*H)
            if d_x is not None:
                d_x[sl] = (weight_ih.t() @ d_xp2.t()).t().view(-1, B, F)  # δxp_t W_ih
            d_wi.addmm_(x[sl].flatten(0, 1).t(), d_xp2)
            d_bi.add_(d_xp2.sum(0))
            _add_hidden_gradient(d_wh, d_hp, rec["h"], state0["h"], sl, reverse)
            if not shared:
                d_bh.add_(d_hp.flatten(0, 1).sum(0))
        dh, d_rest = dh.clone(), tuple(d.clone() for d in d_rest)  # out of inference mode

        d_weight_ih, d_weight_hh = d_wi.t(), d_wh.t()  # (G*H, F), (G*H, H)
        d_bias_ih = d_bi if ctx.needs_input_grad[4] else None  # (G*H,)
        d_bias_hh = d_bh if ctx.needs_input_grad[6] else None  # b_hh sits in xp or in hp
        return (None, None, d_x, d_weight_ih, d_bias_ih, d_weight_hh, d_bias_hh, dh, *d_rest)


def run_kernel(
    kernel: Kernel, x: Tensor, state: State, reverse: bool = False
) -> tuple[Tensor, State]:
    """The kernel's cell run over ``x`` (its input projection included), with the hand-written
    backward; when nothing needs a gradient, the recording loop keeping only h.

    Args:
        kernel: the fast form of a cell.
        x: (T, B, F) time-major inputs.
        state: initial state, tuple of (B, H).
        reverse: walk the sequence from the last step to the first.

    Returns:
        out (T, B, H) and the final state, as the textbook loop returns them.
    """
    cell, x = kernel.cell, x.contiguous()  # the chunks' projections read contiguous rows
    params = (cell.weight_ih, cell.bias_ih, cell.weight_hh, cell.bias_hh)
    leaves = (x, *state, *(p for p in params if p is not None))
    if not (torch.is_grad_enabled() and any(t.requires_grad for t in leaves)):  # inference
        out, final = record(kernel, x, state, reverse, {}, keep=("h",))
        return out, tuple(s.clone() for s in final)  # not views into the buffers
    out, *final = _BPTT.apply(kernel, reverse, x, *params, *state)
    return out, tuple(final)
