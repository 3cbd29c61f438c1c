"""LSTM cell (Hochreiter & Schmidhuber 1997, with forget gate), torch.nn.LSTMCell's layout."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, Slots, State, layer_norm


class LSTMCell(RecurrentCell):
    """Long short-term memory cell; gates stacked i, f, g, o like torch.nn.

    Equations (``step`` computes them line for line)::

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

    With ``layer_norm=True`` every ``W x`` and ``W h`` above is replaced by its layer
    normalisation (see ``RecurrentCell``) and ``h_t = o_t ⊙ tanh(LN_c(c_t))`` with its own gain
    ``ln_gain_c`` and bias ``ln_bias_c`` (H,) (Ba et al. 2016); the state keeps c_t unnormalised.
    It has 4× the parameters of ``SimpleRNNCell``.

    Args:
        input_size: F. hidden_size: H. bias: both biases, as torch.nn.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), (h, c) (B, H) each) -> (h_t, c_t)``.
    """

    gates = ("i", "f", "g", "o")
    state_names = ("h", "c")
    slots = {"s": 4, "g": 1, "c": 1, "tanh_c": 1, "h": 1}
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
        mask: Tensor | None = None,
        out: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """The equations of the class docstring for one step.

        Args:
            xp_t: (B, 4H) input projection ``W_ih x_t + b_ih + b_hh``.
            state: (h_prev, c_prev), (B, H) each.
            mask: (B, H) recurrent dropout mask on h_prev, or None.
            out: buffers named in ``slots`` (B, width*H), or None (see ``RecurrentCell``).

        Returns:
            (h_t, (h_t, c_t)).
        """
        H, buf = self.hidden_size, Slots(out)
        h_prev, c_prev = state
        pre = self.hidden_projection(h_prev, mask, add=xp_t, out=buf.s)  # (B, 4H) i,f,g,o
        g = torch.tanh(pre[:, 2 * H : 3 * H], out=buf.g)  # g_t = tanh(...)
        s = torch.sigmoid(pre, out=buf.s)  # σ of all four blocks; block g is not used
        i, f, o = s[:, :H], s[:, H : 2 * H], s[:, 3 * H :]  # i_t, f_t, o_t = σ(...)
        c = torch.addcmul(f * c_prev, i, g, out=buf.c)  # c_t = f_t ⊙ c_prev + i_t ⊙ g_t
        c_out = c
        if self.layer_norm:
            c_out = layer_norm(c, H, self.ln_gain_c, self.ln_bias_c)  # LN_c(c_t)
        h = torch.mul(o, torch.tanh(c_out, out=buf.tanh_c), out=buf.h)  # h_t = o_t ⊙ tanh(c_t)
        return h, (h, c)

    def gate_values(self, bufs: dict[str, Tensor]) -> dict[str, Tensor]:
        i, f, _, o = bufs["s"].chunk(4, dim=-1)  # block g of "s" holds σ, not tanh
        return {"i": i, "f": f, "g": bufs["g"], "o": o, "c": bufs["c"], "h": bufs["h"]}

    def step_backward(
        self,
        saved: dict[str, Tensor],
        state_prev: State,
        dh: Tensor,
        dstate: State,
        d_xp: Tensor,
        d_hp: Tensor,
    ) -> State:
        """Backward of ``step`` through one time step (BPTT), writing ``d_xp``.

        With δh = ∂L/∂h_t (from the output and from step t+1) and δc = ∂L/∂c_t from step t+1::

            δc     = δc + δh ⊙ o_t ⊙ (1 − tanh²(c_t))
            δi_pre = δc ⊙ g_t ⊙ i_t (1 − i_t)
            δf_pre = δc ⊙ c_prev ⊙ f_t (1 − f_t)
            δg_pre = δc ⊙ i_t ⊙ (1 − g_t²)
            δo_pre = δh ⊙ tanh(c_t) ⊙ o_t (1 − o_t)
            δc_prev = δc ⊙ f_t        (δh_prev = δpre W_hh is added by the loop)

        Args:
            saved: this step's ``slots`` buffers, (B, width*H).
            state_prev: (h_prev, c_prev).
            dh: (B, H) δh. dstate: (δc,) from step t+1.
            d_xp: (B, 4H) buffer for δpre = ∂L/∂xp_t, which is also ∂L/∂(W_hh h_prev) (d_hp).

        Returns:
            (None, δc_prev): the gradient of the previous state other than through W_hh.
        """
        H = self.hidden_size
        s, g, tanh_c = saved["s"], saved["g"], saved["tanh_c"]
        i, f, o = s[:, :H], s[:, H : 2 * H], s[:, 3 * H :]
        (dc,) = dstate
        dc = torch.addcmul(dc, dh * o, 1 - tanh_c * tanh_c)  # δc
        dp = d_xp.view(-1, 4, H)  # (B, 4, H) i, f, g, o
        torch.mul(dc, g, out=dp[:, 0])  # δi_t
        torch.mul(dc, state_prev[1], out=dp[:, 1])  # δf_t
        torch.mul(dh, tanh_c, out=dp[:, 3])  # δo_t
        d_xp.mul_(s - s * s)  # σ'(pre) = s (1 − s) for i, f, o
        torch.mul(dc * i, 1 - g * g, out=dp[:, 2])  # δg_pre
        return (None, dc * f)
