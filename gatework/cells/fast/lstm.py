"""The LSTM's fast form: ``LSTMCell.step`` in 7 ops per step, and its derivatives."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import State
from gatework.cells.fast.kernel import Kernel, StepWeights
from gatework.cells.lstm import LSTMCell


class LSTMKernel(Kernel):
    """``LSTMCell``'s equations with tanh as ``1 − 2σ(−2a)`` (see ``kernel.py``).

    The g rows of both projections are scaled by −2, so one σ over the stacked pre-activations
    gives i_t, f_t, o_t and u_g = σ(−2 g_pre) at once, and a product with a tanh is one
    ``addcmul``::

        s   = σ(xp_t + W_hh h_prev)           [i_t, f_t, u_g, o_t], xp_t = W_ih x_t + b (g rows ×−2)
        c_t = (f_t ⊙ c_prev + i_t) − 2 i_t ⊙ u_g       = f_t ⊙ c_prev + i_t ⊙ g_t, g_t = 1 − 2u_g
        h_t = o_t − 2 o_t ⊙ σ(−2 c_t)                  = o_t ⊙ tanh(c_t)

    It records the sigmoids only (``s``, and u_c = σ(−2 c_t)); the backward rebuilds g_t and
    tanh(c_t) from them. No peepholes, projection or layer norm (the textbook step runs those).
    """

    recorded = {"s": 4, "c": 1, "u_c": 1}
    needs_previous = ("c",)  # c_prev, for ∂c_t/∂f_pre
    xp_record = "s"  # the pre-activations are summed into xp's buffer, then squashed there
    blocks = {"s": {"i": 1, "f": 1, "u_g": 1, "o": 1}}

    def __init__(self, cell: LSTMCell):
        super().__init__(cell, tanh_gates=("g",))

    @staticmethod
    def covers(cell: LSTMCell) -> bool:
        return not (cell.layer_norm or cell.peephole or cell.proj_size)

    def step(
        self, xp_t: Tensor, state: State, w: StepWeights, rec: dict[str, Tensor]
    ) -> tuple[Tensor, State]:
        h_prev, c_prev = state
        xp_t.addmm_(h_prev, w.w_t).sigmoid_()  # (B, 4H) [i_t, f_t, u_g, o_t], in rec["s"]
        i, f, u_g, o = rec["blocks:s"]  # (B, H) each
        # safe in this order when c is a one-row buffer that c_prev also points at (inference)
        c = torch.addcmul(i, f, c_prev, out=rec["c"])  # f_t ⊙ c_prev + i_t, then
        c.addcmul_(i, u_g, value=-2)  # c_t = f_t ⊙ c_prev + i_t ⊙ g_t (i_t g_t = i_t − 2 i_t u_g)
        u_c = torch.mul(c, w.minus_two, out=rec["u_c"]).sigmoid_()  # σ(−2 c_t)
        h = torch.addcmul(o, o, u_c, value=-2, out=rec["h"])  # h_t = o_t ⊙ tanh(c_t)
        return h, (h, c)

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivatives of every step of a chunk at once (BPTT, part 1), (k, B, ·) each::

            a_t = ∂h_t/∂c_t = o_t ⊙ (1 − tanh²(c_t))
            p_t = [g_t ⊙ i_t(1 − i_t),        ∂c_t/∂i_pre   (times δc_t)
                   c_prev ⊙ f_t(1 − f_t),     ∂c_t/∂f_pre   (times δc_t)
                   i_t ⊙ (1 − g_t²),          ∂c_t/∂g_pre   (times δc_t)
                   tanh(c_t) ⊙ o_t(1 − o_t)]  ∂h_t/∂o_pre   (times δh_t)

        Args:
            rec: the chunk's recorded values: ``s`` (block g holds u_g = σ(−2 g_pre)),
                ``u_c`` = σ(−2 c_t), ``c`` and ``h``; g_t and tanh(c_t) are recomputed from
                them (one op each, cheaper than a pass over memory).
            prev: the previous state of every step, ``{"c": (k, B, H)}``.

        Returns:
            (p, p, (p, a, f)), p (k, B, 4H), a and f (k, B, H): ``step_backward`` turns p into
            δxp = δhp in place.
        """
        s, one = rec["s"], rec["s"].new_ones(())
        i, f, u_g, o = s.chunk(4, -1)  # (k, B, H) each
        g = torch.add(one, u_g, alpha=-2)  # g_t = 1 − 2 u_g, as in step
        tanh_c = torch.add(one, rec["u_c"], alpha=-2)  # tanh(c_t) = 1 − 2 σ(−2 c_t)
        p = torch.addcmul(s, s, s, value=-1)  # (k, B, 4H) σ' = s (1 − s), filled in below
        p_i, p_f, p_g, p_o = p.chunk(4, -1)
        p_i.mul_(g)
        p_f.mul_(prev["c"])
        torch.mul(i, torch.addcmul(one, g, g, value=-1), out=p_g)  # i (1 − g²)
        p_o.mul_(tanh_c)
        a = torch.addcmul(one, tanh_c, tanh_c, value=-1).mul_(o)  # o (1 − tanh² c)
        return p, p, (p, a, f)

    def step_backward(self, factors: tuple, dh: Tensor, dstate: State, d_out_prev: Tensor) -> tuple:
        """One step back in time (BPTT, part 2)::

            δc_t    = δc_t(from t+1) + δh_t ⊙ a_t
            δpre_t  = p_t ⊙ [δc_t, δc_t, δc_t, δh_t]  (blocks i, f, g, o; = δxp_t = δhp_t, in p_t)
            δc_prev = δc_t ⊙ f_t

        Args:
            factors: this step's (B, ·) slices of ``backward_factors``.
            dh: (B, H) δh_t. dstate: (δc_t from step t+1,).
            d_out_prev: (B, H) ∂L/∂out of the step before (zeros before the first).

        Returns:
            (δh_prev without the recurrent matmul: ∂L/∂out_prev (no other path to h_prev),
            δhp_t, (δc_prev,)); the loop adds ``δhp_t W_hh`` to δh_prev.
        """
        p, a, f = factors
        (dc,) = dstate
        dc = torch.addcmul(dc, dh, a)  # δc_t
        d_pre = p.mul_(torch.cat([dc, dc, dc, dh], dim=1))  # (B, 4H) δpre_t
        return d_out_prev, d_pre, (dc * f,)
