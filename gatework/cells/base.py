"""The cell contract shared by SimpleRNN, LSTM and GRU cells.

A cell owns torch.nn's parameters, ``weight_ih`` (G·H, F), ``weight_hh`` (G·H, H), ``bias_ih``
and ``bias_hh`` (G·H,), its G gates stacked in torch.nn's order, and one method that holds its
gate equations, one line each:

``step(wx_t, state, mask=None) -> {name: value}``

``wx_t = W_ih x_t + b_ih`` is the input's share of every gate at step t. It does not depend on
the state, so the layer computes it for all steps in one matmul before its time loop
(``input_projection``); the step adds the state's share ``W_hh h_prev + b_hh``
(``hidden_projection``), applies the gates and returns every value it named: the gates and the
new state (``state_names`` says which are the state). Tracing is reading that dict.
``forward(x_t, hx)`` wraps ``step`` with the signature of the torch.nn cell of the same name.

This is the form a learner reads, and the source of truth: where a faster form of the same
equations applies (``gatework/cells/fast/``), it runs instead, tested equal to this one.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

State = tuple[Tensor, ...]


def layer_norm(v: Tensor, H: int, gain: Tensor, bias: Tensor | None = None) -> Tensor:
    """``γ ⊙ (v − mean) / sqrt(var + 1e-5) (+ β)`` over each H-wide block of the last dim.

    Written out rather than ``F.layer_norm``, whose CPU kernel forks threads even for a few
    hundred numbers (milliseconds per call on a busy machine).

    Shape:
        v: (..., g*H); gain, bias: (g*H,) -> (..., g*H)
    """
    blocks = v.unflatten(-1, (-1, H))  # (..., g, H)
    var, mean = torch.var_mean(blocks, -1, correction=0, keepdim=True)
    normed = ((blocks - mean) / torch.sqrt(var + 1e-5)).flatten(-2)  # (..., g*H)
    return normed * gain if bias is None else normed * gain + bias


class RecurrentCell(nn.Module):
    """Base class: parameters, initialisation, the two projections and torch.nn interop.

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: add ``bias_ih`` and ``bias_hh`` (torch.nn keeps both; see ``SimpleRNNCell``).
        layer_norm: normalise the input and recurrent projections, per gate, before adding the
            biases: ``LN(W_ih x_t) + b_ih + LN(W_hh h_{t-1}) + b_hh`` with
            ``LN(v) = γ ⊙ (v − mean(v)) / sqrt(var(v) + 1e-5)`` over the H units of each gate
            (Ba et al. 2016). Gains ``ln_gain_ih``, ``ln_gain_hh`` (G*H,) start at 1.
        recurrent_size: width of h_prev, the columns of ``weight_hh`` (H unless the cell
            projects its output, as the LSTM with ``proj_size``).
    """

    gates: ClassVar[tuple[str, ...]] = ()  # gate names, torch.nn's order
    state_names: ClassVar[tuple[str, ...]] = ("h",)
    torch_cell: ClassVar[type[nn.Module]]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        layer_norm: bool = False,
        recurrent_size: int | None = None,
    ):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        G, H = len(self.gates), hidden_size
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.layer_norm = layer_norm
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))  # (G*H, F)
        self.weight_hh = nn.Parameter(torch.empty(G * H, recurrent_size or H))  # (G*H, H)
        self.bias_ih = nn.Parameter(torch.empty(G * H)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(G * H)) if bias else None
        if layer_norm:
            self.ln_gain_ih = nn.Parameter(torch.ones(G * H))
            self.ln_gain_hh = nn.Parameter(torch.ones(G * H))

    def reset_parameters(self) -> None:
        """torch.nn's initialisation: every weight and bias ~ U(−1/√H, 1/√H); LN gains 1."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for name, p in self.named_parameters():
            if name.startswith("ln_gain"):
                nn.init.ones_(p)
            elif name.startswith("ln_bias"):
                nn.init.zeros_(p)
            else:
                nn.init.uniform_(p, -k, k)

    @property
    def state_sizes(self) -> dict[str, int]:
        """Width of each state tensor (H each, unless a cell projects its output)."""
        return {name: self.hidden_size for name in self.state_names}

    def gate_rows(self, gate: str) -> slice:
        """The rows of ``weight_ih``/``weight_hh``/biases that belong to ``gate``."""
        k, H = self.gates.index(gate), self.hidden_size
        return slice(k * H, (k + 1) * H)

    def input_projection(self, x: Tensor) -> Tensor:
        """``W_ih x + b_ih``, the input's share of every gate (``LN(W_ih x) + b_ih`` with
        layer norm), for any leading shape: (..., F) -> (..., G*H)."""
        if not self.layer_norm:
            return F.linear(x, self.weight_ih, self.bias_ih)
        wx = layer_norm(F.linear(x, self.weight_ih), self.hidden_size, self.ln_gain_ih)
        return wx if self.bias_ih is None else wx + self.bias_ih

    def hidden_projection(
        self, h_prev: Tensor, mask: Tensor | None = None, gate: str | None = None
    ) -> Tensor:
        """``W_hh (m ⊙ h_prev) + b_hh``, the state's share of every gate, or of ``gate`` only.

        Args:
            h_prev: (B, H) previous hidden state ((B, P) for an LSTM with ``proj_size=P``).
            mask: recurrent dropout mask m, shaped like h_prev (the same at every step), or None.
            gate: one gate's rows only (GRU with ``reset_after=False``), or all.

        Returns:
            (B, G*H), or (B, H) for one gate; ``LN(W_hh h) + b_hh`` with layer norm.
        """
        if mask is not None:
            h_prev = h_prev * mask
        rows = slice(None) if gate is None else self.gate_rows(gate)
        b = None if self.bias_hh is None else self.bias_hh[rows]
        if not self.layer_norm:
            return F.linear(h_prev, self.weight_hh[rows], b)
        wh = F.linear(h_prev, self.weight_hh[rows])
        wh = layer_norm(wh, self.hidden_size, self.ln_gain_hh[rows])
        return wh if b is None else wh + b

    def step(self, wx_t: Tensor, state: State, mask: Tensor | None = None) -> dict[str, Tensor]:
        """One time step of the cell's equations; see the subclasses."""
        raise NotImplementedError

    def initial_state(self, batch: int, like: Tensor) -> State:
        """Zeros for every state tensor, (B, width) each."""
        return tuple(like.new_zeros(batch, size) for size in self.state_sizes.values())

    def forward(self, input: Tensor, hx: Tensor | State | None = None) -> Tensor | State:
        """One step, called like the torch.nn cell of the same name.

        Args:
            input: (B, F) features of one time step.
            hx: previous state: h (B, H), or (h, c) for LSTM; zeros when None.

        Returns:
            The new state: h (B, H), or (h, c) for LSTM.
        """
        if input.dim() != 2 or input.shape[1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__} expects input of shape (B, {self.input_size}), got "
                f"{tuple(input.shape)}; pass one time step, batch first"
            )
        B = input.shape[0]
        state = self.initial_state(B, input) if hx is None else self.check_state(hx, B)
        values = self.step(self.input_projection(input), state)
        new = tuple(values[name] for name in self.state_names)
        return new if len(new) > 1 else new[0]

    def check_state(self, hx: Tensor | State, batch: int) -> State:
        """``hx`` as a tuple of (B, width) tensors; ValueError naming the expected shapes."""
        state = (hx,) if isinstance(hx, Tensor) else tuple(hx)
        want = [(batch, size) for size in self.state_sizes.values()]
        if len(state) != len(want) or any(s.shape != w for s, w in zip(state, want, strict=False)):
            got = [tuple(s.shape) for s in state]
            raise ValueError(
                f"{type(self).__name__} state must be {len(want)} tensor(s) "
                f"{self.state_names} of shape {want[0]}, got {got}"
            )
        return state

    def torch_incompatibility(self) -> str | None:
        """Why torch.nn cannot hold this cell (an option it lacks), or None."""
        if self.layer_norm:
            return "layer_norm=True has no torch.nn equivalent; use layer_norm=False"
        return None

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, bias={self.bias}, layer_norm={self.layer_norm}"
        )

    @classmethod
    def from_torch(cls, module: nn.Module) -> RecurrentCell:
        """A cell with the weights of a torch.nn cell (RNNCell, LSTMCell or GRUCell)."""
        kwargs = {"nonlinearity": module.nonlinearity} if hasattr(module, "nonlinearity") else {}
        cell = cls(module.input_size, module.hidden_size, bias=module.bias, **kwargs)
        cell.load_state_dict(module.state_dict())
        return cell.to(module.weight_ih)

    def to_torch(self) -> nn.Module:
        """The torch.nn cell with these weights (ValueError for options torch.nn lacks)."""
        problem = self.torch_incompatibility()
        if problem:
            raise ValueError(problem)
        kwargs = {"nonlinearity": self.nonlinearity} if hasattr(self, "nonlinearity") else {}
        cell = self.torch_cell(self.input_size, self.hidden_size, bias=self.bias, **kwargs)
        cell.load_state_dict(self.state_dict())
        return cell.to(self.weight_ih)
