"""Gated recurrent unit (Cho et al. 2014), torch.nn.GRUCell's layout, both reset placements."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State


class GRUCell(RecurrentCell):
    """Gated recurrent unit; gates stacked r, z, n like torch.nn.

    Equations (``step`` computes them line for line)::

        r_t = σ(W_ir x_t + b_ir + W_hr h_prev + b_hr)              reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_prev + b_hz)              update gate
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_prev + b_hn))   candidate (reset_after=True)
        n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_prev) + b_hn)   candidate (reset_after=False)
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev

    - r_t near 0 makes the candidate ignore h_prev (a fresh start), near 1 lets it see all of it.
    - z_t near 0 replaces h_prev by the candidate, near 1 keeps h_prev unchanged.

    The trap: ``reset_after=True`` (default; torch.nn, cuDNN, Keras) applies the reset gate to
    the *projected* state ``W_hn h_prev + b_hn``, so one matmul covers all three gates;
    ``reset_after=False`` (Cho et al. 2014, most textbooks) applies it to ``h_prev`` *before* the
    matmul: a second matmul per step, different numbers for the same weights, and no torch.nn
    equivalent. ``layer_norm=True`` normalises every ``W x`` and ``W h`` product before its bias
    (see ``RecurrentCell``). 3× the parameters of ``SimpleRNNCell``.

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: use ``bias_ih`` and ``bias_hh``, as torch.nn.
        reset_after: where the reset gate acts, see above.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), h (B, H)) -> h_t (B, H)``.
    """

    gates = ("r", "z", "n")
    torch_cell = nn.GRUCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        reset_after: bool = True,
        layer_norm: bool = False,
    ):
        super().__init__(input_size, hidden_size, bias, layer_norm)
        self.reset_after = reset_after
        self.reset_parameters()

    def step(self, wx_t: Tensor, state: State, mask: Tensor | None = None) -> dict[str, Tensor]:
        """The equations of the class docstring for one step.

        Args:
            wx_t: (B, 3H) ``W_ih x_t + b_ih``, the input's share of the three gates.
            state: (h_prev,), (B, H).
            mask: (B, H) recurrent dropout mask on h_prev in the matmuls (not in z_t ⊙ h_prev).

        Returns:
            ``{"r", "z", "n", "h"}``, (B, H) each; the new state is (h_t,).
        """
        (h_prev,) = state
        wx_r, wx_z, wx_n = wx_t.chunk(3, -1)  # W_i* x_t + b_i*, (B, H) each
        wh_r, wh_z, wh_n = self.hidden_projection(h_prev, mask).chunk(3, -1)  # W_h* h + b_h*

        r_t = torch.sigmoid(wx_r + wh_r)
        z_t = torch.sigmoid(wx_z + wh_z)
        if self.reset_after:  # torch.nn, cuDNN: reset the projected state
            n_t = torch.tanh(wx_n + r_t * wh_n)
        else:  # Cho et al. 2014: reset h_prev, then project it (wh_n above goes unused)
            n_t = torch.tanh(wx_n + self.hidden_projection(r_t * h_prev, mask, gate="n"))
        h_t = (1 - z_t) * n_t + z_t * h_prev
        return {"r": r_t, "z": z_t, "n": n_t, "h": h_t}

    def torch_incompatibility(self) -> str | None:
        if not self.reset_after:
            return "reset_after=False has no torch.nn equivalent; use reset_after=True"
        return super().torch_incompatibility()

    def extra_repr(self) -> str:
        return super().extra_repr() + f", reset_after={self.reset_after}"
