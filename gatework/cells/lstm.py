"""LSTM cell (Hochreiter & Schmidhuber 1997, with forget gate), torch.nn.LSTMCell's layout."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State, StepWeights, layer_norm


class LSTMCell(RecurrentCell):
    """Long short-term memory cell; gates stacked i, f, g, o like torch.nn.

    Equations (``step`` computes them in this order; how it evaluates the tanh, below)::

        i_t = σ(W_ii x_t + b_ii + W_hi h_prev + b_hi)    input gate
        f_t = σ(W_if x_t + b_if + W_hf h_prev + b_hf)    forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_prev + b_hg) cell candidate
        o_t = σ(W_io x_t + b_io + W_ho h_prev + b_ho)    output gate
        c_t = f_t ⊙ c_prev + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    - i_t near 0 ignores the candidate, near 1 writes it into the cell.
    - f_t near 0 forgets c_prev, near 1 keeps it (the long memory path).
    - g_t in (−1, 1) is what would be written.
    - o_t near 0 hides the cell from h_t, near 1 exposes tanh(c_t).

    ``step`` evaluates both tanh as ``tanh(a) = 1 − 2σ(−2a)`` (torch's CPU tanh costs several
    sigmoids): the g rows of both projections are scaled by −2 (``tanh_gates``, see
    ``RecurrentCell``), so one σ gives i_t, f_t, o_t and u_g = σ(−2 g_pre) at once. A product
    with a tanh is then one ``addcmul``: ``i_t ⊙ g_t = i_t − 2 i_t ⊙ u_g`` and
    ``o_t ⊙ tanh(c_t) = o_t − 2 o_t ⊙ σ(−2 c_t)``.

    With ``layer_norm=True`` every ``W x`` and ``W h`` above is replaced by its layer
    normalisation (see ``RecurrentCell``) and ``h_t = o_t ⊙ tanh(LN_c(c_t))`` with its own gain
    ``ln_gain_c`` and bias ``ln_bias_c`` (H,) (Ba et al. 2016); the state keeps c_t unnormalised.
    It has 4× the parameters of ``SimpleRNNCell``.

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: use ``bias_ih`` and ``bias_hh``, as torch.nn.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), (h, c) (B, H) each) -> (h_t, c_t)``.
    """

    gates = ("i", "f", "g", "o")
    tanh_gates = ("g",)
    state_names = ("h", "c")
    recorded = {"s": 4, "c": 1, "u_c": 1}
    needs_previous = ("c",)  # c_prev, for ∂c_t/∂f_pre
    xp_record = "s"  # the pre-activations are summed into xp's buffer, then squashed there
    blocks = {"s": {"i": 1, "f": 1, "u_g": 1, "o": 1}}
    torch_cell = nn.LSTMCell

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, layer_norm: bool = False
    ):
        super().__init__(input_size, hidden_size, bias, layer_norm)
        if layer_norm:
            self.ln_gain_c = nn.Parameter(torch.ones(hidden_size))
            self.ln_bias_c = nn.Parameter(torch.zeros(hidden_size))

    def step(
        self,
        xp_t: Tensor,
        state: State,
        w: StepWeights,
        mask: Tensor | None = None,
        rec: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """The equations of the class docstring for one step.

        Args:
            xp_t: (B, 4H) input projection ``W_ih x_t + b_ih + b_hh``, g rows times −2.
            state: (h_prev, c_prev), (B, H) each.
            w: this sequence's ``step_weights()``.
            mask: (B, H) recurrent dropout mask on h_prev, or None.
            rec: None, or this step's (B, ·) views to write values into (``RecurrentCell``).

        Returns:
            (h_t, (h_t, c_t)).
        """
        H = self.hidden_size
        h_prev, c_prev = state
        out = {} if rec is None else rec  # where to write each value (None: a new tensor)
        pre = self.hidden_projection(h_prev, w, mask, add=xp_t, out=out.get("s"))  # ×−2 in block g
        s = pre.sigmoid_()  # i_t, f_t, o_t = σ(...), and u_g = σ(−2 g_pre) in block g
        i, f, u_g, o = self.split(s, "s", rec)  # (B, H) each
        c = torch.addcmul(i, f, c_prev, out=out.get("c"))  # f_t ⊙ c_prev + i_t, then
        c.addcmul_(i, u_g, value=-2)  # c_t = f_t ⊙ c_prev + i_t ⊙ g_t (i_t g_t = i_t − 2 i_t u_g)
        c_out = c if not self.layer_norm else layer_norm(c, H, self.ln_gain_c, self.ln_bias_c)
        u_c = torch.mul(c_out, w.minus_two, out=out.get("u_c")).sigmoid_()  # σ(−2 c_t)
        h = torch.addcmul(o, o, u_c, value=-2, out=out.get("h"))  # h_t = o_t ⊙ tanh(c_t)
        return h, (h, c)

    def gate_values(self, rec: dict[str, Tensor]) -> dict[str, Tensor]:
        i, f, u_g, o = rec["s"].chunk(4, dim=-1)  # block g of "s" holds σ(−2 g_pre), not g
        return {"i": i, "f": f, "g": 1 - 2 * u_g, "o": o, "c": rec["c"], "h": rec["h"]}

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivatives of every step at once (BPTT, part 1), (T, B, ·) each::

            a_t = ∂h_t/∂c_t = o_t ⊙ (1 − tanh²(c_t))
            p_t = [g_t ⊙ i_t(1 − i_t),        ∂c_t/∂i_pre   (times δc_t)
                   c_prev ⊙ f_t(1 − f_t),     ∂c_t/∂f_pre   (times δc_t)
                   i_t ⊙ (1 − g_t²),          ∂c_t/∂g_pre   (times δc_t)
                   tanh(c_t) ⊙ o_t(1 − o_t)]  ∂h_t/∂o_pre   (times δh_t)

        Args:
            rec: the recorded values of all steps, stacked in time order (T, B, ·): ``s``
                (block g holds u_g = σ(−2 g_pre)), ``u_c`` = σ(−2 c_t), ``c`` and ``h``; g_t and
                tanh(c_t) are recomputed from them (one op each, cheaper than a pass over memory).
            prev: the previous state of every step, ``{"c": (T, B, H)}`` (``needs_previous``).

        Returns:
            (p, p, (p, a, f)), p (T, B, 4H), a and f (T, B, H): ``step_backward`` turns p into
            δxp = δhp in place.
        """
        s, one = rec["s"], rec["s"].new_ones(())
        i, f, u_g, o = s.chunk(4, -1)  # (T, B, H) each
        g = torch.add(one, u_g, alpha=-2)  # g_t = 1 − 2 u_g, as in step
        tanh_c = torch.add(one, rec["u_c"], alpha=-2)  # tanh(c_t) = 1 − 2 σ(−2 c_t)
        p = torch.addcmul(s, s, s, value=-1)  # (T, B, 4H) σ' = s (1 − s), filled in below
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
