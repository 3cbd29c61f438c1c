"""The SimpleRNN's fast form: ``SimpleRNNCell.step`` with recording, and its derivative."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.base import State
from gatework.cells.fast.kernel import Kernel, StepWeights
from gatework.cells.simple_rnn import SimpleRNNCell


class SimpleRNNKernel(Kernel):
    """``SimpleRNNCell``'s equation, computed over the input projection's buffer in place::

        pre = xp_t + W_hh h_prev            (with tanh both projections ×−2: pre = −2a)
        h_t = 1 − 2σ(pre) = tanh(a)         or  h_t = max(0, pre) for relu

    The nonlinearity is read from the cell when the kernel is made (once per call).
    """

    xp_record = "h"  # h_t is computed over xp_t's buffer, in place

    def __init__(self, cell: SimpleRNNCell):
        self.tanh = cell.nonlinearity == "tanh"
        super().__init__(cell, tanh_gates=("h",) if self.tanh else ())

    def step(
        self, xp_t: Tensor, state: State, w: StepWeights, rec: dict[str, Tensor]
    ) -> tuple[Tensor, State]:
        pre = xp_t.addmm_(state[0], w.w_t)  # (B, H), in rec["h"]
        if self.tanh:  # pre = −2 (W_ih x_t + b_ih + W_hh h_prev + b_hh)
            h = torch.add(w.one, pre.sigmoid_(), alpha=-2, out=rec["h"])  # h_t = 1 − 2σ(−2a)
        else:
            h = pre.relu_()  # h_t = max(0, ...)
        return h, (h,)

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivative of every step, (k, B, H): ``d_t = ∂h_t/∂pre_t``, which is
        ``1 − h_t²`` for tanh and ``[h_t > 0]`` for relu.

        Returns:
            (d, d, (d,)): ``step_backward`` turns d into δxp = δhp in place.
        """
        h = rec["h"]
        if self.tanh:  # 1 − h², one pass, no h² temporary
            d = torch.addcmul(h.new_ones(()), h, h, value=-1)
        else:
            d = (h > 0).to(h.dtype)
        return d, d, (d,)

    def step_backward(self, factors: tuple, dh: Tensor, dstate: State, d_out_prev: Tensor) -> tuple:
        """``δpre_t = δh_t ⊙ d_t`` (= δxp_t = δhp_t, in place in d_t).

        Returns:
            (∂L/∂out_prev (no other path to h_prev), δpre_t, ()); the loop adds
            ``δpre_t W_hh`` to δh_prev.
        """
        return d_out_prev, factors[0].mul_(dh), ()
