"""Elman's simple recurrent cell, torch.nn.RNNCell's layout."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State, StepWeights

NONLINEARITIES = ("tanh", "relu")


class SimpleRNNCell(RecurrentCell):
    """Simple recurrent cell (Elman 1990)::

        h_t = tanh(W_ih x_t + b_ih + W_hh h_prev + b_hh)

    (``nonlinearity="relu"`` uses max(0, ·) instead of tanh). There are no gates: the whole
    state is rewritten every step, which is why long memories fade (vanishing gradients).
    ``step`` evaluates tanh as ``tanh(a) = 1 − 2σ(−2a)`` (torch's CPU tanh costs several
    sigmoids): with tanh, both projections are scaled by −2 (``tanh_gates``), so the step sums −2a.

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
        nonlinearity: ``"tanh"`` or ``"relu"``.
        layer_norm: see above.

    Shape:
        ``forward(x_t (B, F), h (B, H)) -> h_t (B, H)``.
    """

    gates = ("h",)
    xp_record = "h"  # h_t is computed over xp_t's buffer, in place
    torch_cell = nn.RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        layer_norm: bool = False,
    ):
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        self._nonlinearity = nonlinearity
        self.tanh_gates = ("h",) if nonlinearity == "tanh" else ()  # projections × −2
        super().__init__(input_size, hidden_size, bias, layer_norm)

    @property
    def nonlinearity(self) -> str:
        """``"tanh"`` or ``"relu"``, fixed at construction (``gate_scale`` depends on it)."""
        return self._nonlinearity

    @nonlinearity.setter
    def nonlinearity(self, value: str) -> None:
        raise AttributeError(
            f"nonlinearity is fixed at construction ({self._nonlinearity!r}): build a new "
            f"cell with nonlinearity={value!r} and copy the weights (load_state_dict)"
        )

    def step(
        self,
        xp_t: Tensor,
        state: State,
        w: StepWeights,
        mask: Tensor | None = None,
        rec: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """``h_t = tanh(xp_t + W_hh h_prev)`` with ``xp_t = W_ih x_t + b_ih + b_hh`` (B, H)
        (times −2, for tanh).

        Args and returns as ``LSTMCell.step``; ``state`` is ``(h_prev,)``.
        """
        out = {} if rec is None else rec  # where to write h_t (None: a new tensor)
        pre = self.hidden_projection(state[0], w, mask, add=xp_t, out=out.get("h"))  # (B, H)
        if self.nonlinearity == "tanh":  # pre = −2 (W_ih x_t + b_ih + W_hh h_prev + b_hh)
            u = pre.sigmoid_()  # σ(−2 ·)
            h = torch.add(w.one, u, alpha=-2, out=out.get("h"))  # h_t = tanh(...) = 1 − 2u
        else:
            h = pre.relu_()  # h_t = max(0, ...)
        return h, (h,)  # nothing to record besides h_t

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivative of every step, (T, B, H): ``d_t = ∂h_t/∂pre_t``, which is
        ``1 − h_t²`` for tanh and ``[h_t > 0]`` for relu.

        Returns:
            (d, d, (d,)): ``step_backward`` turns d into δxp = δhp in place.
        """
        h = rec["h"]
        if self.nonlinearity == "tanh":  # 1 − h², one pass, no h² temporary
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

    def _torch_kwargs(self) -> dict:
        return {"nonlinearity": self.nonlinearity}

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"
