"""Elman's simple recurrent cell, torch.nn.RNNCell's layout."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State

NONLINEARITIES = ("tanh", "relu")


class SimpleRNNCell(RecurrentCell):
    """Simple recurrent cell (Elman 1990)::

        h_t = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh)

    (``nonlinearity="relu"`` uses max(0, ·) instead of tanh). There are no gates: the whole
    state is rewritten every step, which is why long memories fade (vanishing gradients:
    ∂h_t/∂h_prev = diag(1 − h_t²) W_hh, a product over every step back).

    Parameter count: textbooks write one bias, ``h_t = tanh(W x_t + U h_prev + b)``, giving
    F·H + H·H + H parameters (24 for F=4, H=3). torch.nn (following cuDNN) keeps two bias
    vectors, ``b_ih`` and ``b_hh``, whose sum plays the role of ``b``: F·H + H·H + 2H = 27.
    This cell keeps torch.nn's 27 so weights move between the two without reshaping.

    With ``layer_norm=True``: ``h_t = tanh(LN(W_ih x_t) + b_ih + LN(W_hh h_prev) + b_hh)``,
    i.e. normalise, then the nonlinearity (see ``RecurrentCell``).

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: use ``bias_ih`` and ``bias_hh``, as torch.nn.
        nonlinearity: ``"tanh"`` or ``"relu"``; an attribute that may be changed at any time.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), h (B, H)) -> h_t (B, H)``.
    """

    gates = ("h",)
    torch_cell = nn.RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        layer_norm: bool = False,
    ):
        super().__init__(input_size, hidden_size, bias, layer_norm)
        self.nonlinearity = nonlinearity
        self.reset_parameters()

    @property
    def nonlinearity(self) -> str:
        """``"tanh"`` or ``"relu"``."""
        return self._nonlinearity

    @nonlinearity.setter
    def nonlinearity(self, value: str) -> None:
        if value not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {value!r}")
        self._nonlinearity = value

    def step(self, wx_t: Tensor, state: State, mask: Tensor | None = None) -> dict[str, Tensor]:
        """The equation of the class docstring for one step.

        Args:
            wx_t: (B, H) ``W_ih x_t + b_ih``.
            state: (h_prev,), (B, H).
            mask: (B, H) recurrent dropout mask on h_prev, or None.

        Returns:
            ``{"h": h_t}``, (B, H); the new state is (h_t,).
        """
        (h_prev,) = state
        wh_t = self.hidden_projection(h_prev, mask)  # W_hh h_prev + b_hh
        if self.nonlinearity == "tanh":
            h_t = torch.tanh(wx_t + wh_t)
        else:
            h_t = torch.relu(wx_t + wh_t)
        return {"h": h_t}

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"
