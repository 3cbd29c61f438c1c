"""LSTM cell (Hochreiter & Schmidhuber 1997, with forget gate), torch.nn.LSTMCell's layout."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State, layer_norm


class LSTMCell(RecurrentCell):
    """Long short-term memory cell; gates stacked i, f, g, o like torch.nn.

    Equations (``step`` computes them line for line)::

        i_t = σ(W_ii x_t + b_ii + W_hi h_prev + b_hi)    input gate
        f_t = σ(W_if x_t + b_if + W_hf h_prev + b_hf)    forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_prev + b_hg) cell candidate
        c_t = f_t ⊙ c_prev + i_t ⊙ g_t                   cell state
        o_t = σ(W_io x_t + b_io + W_ho h_prev + b_ho)    output gate
        h_t = o_t ⊙ tanh(c_t)                            hidden state

    - i_t near 0 ignores the candidate, near 1 writes it into the cell.
    - f_t near 0 forgets c_prev, near 1 keeps it (the long memory path: ∂c_t/∂c_prev = f_t).
    - g_t in (−1, 1) is what would be written.
    - o_t near 0 hides the cell from h_t, near 1 exposes tanh(c_t).

    Options:

    - ``forget_bias=1.0`` starts b_f at 1 (``bias_ih`` f rows 1, ``bias_hh`` f rows 0), so f_t
      starts near σ(1) = 0.73 and gradients flow through the cell from the first update
      (Keras' ``unit_forget_bias``; Jozefowicz et al. 2015). None keeps torch.nn's init.
    - ``peephole=True`` (Gers & Schmidhuber 2000): the gates also see the cell,
      ``+ w_ci ⊙ c_prev`` in i_t, ``+ w_cf ⊙ c_prev`` in f_t and ``+ w_co ⊙ c_t`` in o_t
      (diagonal weights ``weight_ci``, ``weight_cf``, ``weight_co``, (H,) each).
    - ``proj_size=P`` (LSTMP, Sak et al. 2014; torch.nn's ``proj_size``): h_t is projected,
      ``h_t = W_hr (o_t ⊙ tanh(c_t))`` with ``weight_hr`` (P, H); h is P wide, c stays H.
      (torch.nn's name; here ``hr`` reads "hidden to recurrent", not a reset gate.)
    - ``layer_norm=True``: every ``W x`` and ``W h`` above is layer-normalised (see
      ``RecurrentCell``) and ``h_t = o_t ⊙ tanh(LN_c(c_t))`` with its own gain ``ln_gain_c``
      and bias ``ln_bias_c`` (H,) (Ba et al. 2016); the state keeps c_t unnormalised.

    4× the parameters of ``SimpleRNNCell``.

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: use ``bias_ih`` and ``bias_hh``, as torch.nn.
        layer_norm, forget_bias, peephole, proj_size: see above.

    Shape:
        ``forward(x_t (B, F), (h, c) (B, H) each) -> (h_t, c_t)``; h is (B, P) with
        ``proj_size=P``.
    """

    gates = ("i", "f", "g", "o")
    state_names = ("h", "c")
    torch_cell = nn.LSTMCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        layer_norm: bool = False,
        forget_bias: float | None = None,
        peephole: bool = False,
        proj_size: int = 0,
    ):
        if not isinstance(proj_size, int) or not 0 <= proj_size < hidden_size:
            raise ValueError(f"proj_size must be an int in [0, hidden_size), got {proj_size!r}")
        if forget_bias is not None and not bias:
            raise ValueError("forget_bias sets a bias: use bias=True or forget_bias=None")
        super().__init__(input_size, hidden_size, bias, layer_norm, proj_size or hidden_size)
        self.forget_bias, self.peephole, self.proj_size = forget_bias, peephole, proj_size
        H = hidden_size
        if peephole:
            self.weight_ci, self.weight_cf, self.weight_co = (
                nn.Parameter(torch.empty(H)) for _ in range(3)
            )
        if proj_size:
            self.weight_hr = nn.Parameter(torch.empty(proj_size, H))  # (P, H)
        if layer_norm:
            self.ln_gain_c = nn.Parameter(torch.ones(H))
            self.ln_bias_c = nn.Parameter(torch.zeros(H))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch.nn's initialisation, then b_f = ``forget_bias`` where it is set."""
        super().reset_parameters()
        if self.forget_bias is not None:
            with torch.no_grad():
                self.bias_ih[self.gate_rows("f")].fill_(self.forget_bias)
                self.bias_hh[self.gate_rows("f")].zero_()

    @property
    def state_sizes(self) -> dict[str, int]:
        return {"h": self.proj_size or self.hidden_size, "c": self.hidden_size}

    def step(self, wx_t: Tensor, state: State, mask: Tensor | None = None) -> dict[str, Tensor]:
        """The equations of the class docstring for one step.

        Args:
            wx_t: (B, 4H) ``W_ih x_t + b_ih``, the input's share of the four gates.
            state: (h_prev, c_prev), (B, H) each (h_prev (B, P) with ``proj_size=P``).
            mask: recurrent dropout mask on h_prev, shaped like it, or None.

        Returns:
            ``{"i", "f", "g", "o", "c", "h"}``, (B, H) each (h (B, P) with ``proj_size``); the
            new state is (h_t, c_t).
        """
        h_prev, c_prev = state
        wx_i, wx_f, wx_g, wx_o = wx_t.chunk(4, -1)  # W_i* x_t + b_i*, (B, H) each
        wh_i, wh_f, wh_g, wh_o = self.hidden_projection(h_prev, mask).chunk(4, -1)  # W_h* h + b_h*
        if self.peephole:  # the input and forget gates also look at the cell
            wh_i, wh_f = wh_i + self.weight_ci * c_prev, wh_f + self.weight_cf * c_prev

        i_t = torch.sigmoid(wx_i + wh_i)
        f_t = torch.sigmoid(wx_f + wh_f)
        g_t = torch.tanh(wx_g + wh_g)
        c_t = f_t * c_prev + i_t * g_t

        if self.peephole:  # the output gate looks at the new cell
            wh_o = wh_o + self.weight_co * c_t
        o_t = torch.sigmoid(wx_o + wh_o)
        if self.layer_norm:  # what h_t sees is normalised; the state keeps c_t
            c_seen = layer_norm(c_t, self.hidden_size, self.ln_gain_c, self.ln_bias_c)
            h_t = o_t * torch.tanh(c_seen)
        else:
            h_t = o_t * torch.tanh(c_t)
        if self.proj_size:
            h_t = h_t @ self.weight_hr.T  # (B, P)
        return {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t, "h": h_t}

    def torch_incompatibility(self) -> str | None:
        if self.peephole:
            return "peephole=True has no torch.nn equivalent; use peephole=False"
        return super().torch_incompatibility()

    def to_torch(self) -> nn.Module:
        if self.proj_size:
            raise ValueError("torch.nn.LSTMCell has no proj_size; use the LSTM layer's to_torch")
        return super().to_torch()

    def extra_repr(self) -> str:
        opts = {"forget_bias": self.forget_bias, "peephole": self.peephole}
        opts["proj_size"] = self.proj_size
        return super().extra_repr() + "".join(f", {k}={v}" for k, v in opts.items() if v)
