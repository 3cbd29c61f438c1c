"""The cell contract shared by SimpleRNN, LSTM and GRU cells.

A cell owns torch.nn's parameters (``weight_ih`` (G*H, F), ``weight_hh`` (G*H, H), ``bias_ih``,
``bias_hh`` (G*H,), G gates stacked in torch.nn's order) and one method with the gate equations:

``step(xp_t, state, w, mask=None, rec=None) -> (h_t, state)``

where ``xp_t = W_ih x_t + b_ih`` is the input projection of one time step, computed for all
steps at once by the layer before its time loop, and ``w = cell.step_weights()`` holds what
every step reads (``W_hhᵀ`` laid out for the recurrent matmul), prepared once per sequence.
``state`` is a tuple, ``(h,)`` or ``(h, c)``. ``forward(x_t, hx)`` wraps ``step`` with the
signature of the torch.nn cell of the same name.

tanh is evaluated as ``tanh(a) = 1 − 2σ(−2a)`` (torch's CPU tanh costs several sigmoids), so the
pre-activation rows that feed a tanh are scaled by −2: ``gate_scale`` (G*H,) is −2 there and 1
elsewhere, and both projections return ``scale ⊙ (W x + b)``, which costs nothing per step (the
weights are scaled once per sequence; a cell whose step scales its recurrent term for free, as
the GRU's ``addcmul(..., value=-2)``, sets ``scale_hidden = False``). The form ``1 − 2u`` (u the
sigmoid) makes a product with a tanh one op: ``o ⊙ tanh(c) = addcmul(o, o, u, value=-2)``.
Derivatives are taken with respect to the unscaled pre-activations, so the backward uses the
weights as they are.

``rec`` is None in the normal forward. Otherwise (only without autograd) it is a dict of (B, ·)
views into (T, B, ·) buffers the time loop allocated once (see ``record_views``): the step
writes its intermediate values there (``out=``) instead of into new tensors. The loop records
this way what the hand-written backward needs (``bptt.py``) and traces gates (``tracing.py``).

Cells with a hand-written backward also define ``backward_factors`` (the local derivatives of
all steps at once) and ``step_backward`` (one step of the recurrence back in time); see
``bptt.py`` for the generic part.
"""

from __future__ import annotations

import math
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

State = tuple[Tensor, ...]


class StepWeights(NamedTuple):
    """What every step of one sequence reads, prepared once (``RecurrentCell.step_weights``).

    Attributes:
        w_t: (H, G*H) ``(scale ⊙ W_hh)ᵀ``, contiguous: the right factor of ``h_prev @ w_t``
            (with layer norm: unscaled ``W_hhᵀ``; the scale follows the normalisation).
        b: (G*H,) ``scale ⊙ b_hh`` (with layer norm: unscaled) when the step adds it, or None
            (folded into xp).
        scale: (G*H,) ``gate_scale``, or ones where ``scale_hidden`` is False.
        one: 1 as a 0-dim tensor: ``tanh(a) = 1 + (−2)σ(−2a)`` in one op (a Python scalar
            there costs a conversion per call).
        minus_two: −2 as a 0-dim tensor: the argument ``−2c`` of a tanh computed in the step.
    """

    w_t: Tensor
    b: Tensor | None
    scale: Tensor
    one: Tensor
    minus_two: Tensor


def layer_norm(v: Tensor, H: int, gain: Tensor, bias: Tensor | None = None) -> Tensor:
    """``γ ⊙ (v − mean) / sqrt(var + 1e-5) (+ β)`` over each H-wide block of the last dim.

    Written out rather than ``F.layer_norm``, whose CPU kernel forks threads even for a few
    hundred numbers (milliseconds per call on a busy machine).

    Shape:
        v: (..., g*H); gain, bias: (g*H,) -> (..., g*H)
    """
    blocks = v.unflatten(-1, (-1, H))  # (..., g, H)
    var, mean = torch.var_mean(blocks, -1, correction=0, keepdim=True)
    normed = ((blocks - mean) * torch.rsqrt(var + 1e-5)).flatten(-2)  # (..., g*H)
    return normed * gain if bias is None else torch.addcmul(bias, normed, gain)


class RecurrentCell(nn.Module):
    """Base class: parameters, initialisation, projections and torch.nn interop.

    Args:
        input_size: F, features of x_t.
        hidden_size: H, units.
        bias: add ``bias_ih`` and ``bias_hh`` (torch.nn keeps both; see ``SimpleRNNCell``).
        layer_norm: normalise the input and recurrent projections, per gate, before adding the
            biases: ``LN(W_ih x_t) + b_ih + LN(W_hh h_{t-1}) + b_hh`` with
            ``LN(v) = γ ⊙ (v − mean(v)) / sqrt(var(v) + 1e-5)`` over the H units of each gate
            (Ba et al. 2016). Gains ``ln_gain_ih``, ``ln_gain_hh`` (G*H,) start at 1.
    """

    gates: ClassVar[tuple[str, ...]] = ()  # gate names, torch.nn's order
    state_names: ClassVar[tuple[str, ...]] = ("h",)
    recorded: ClassVar[dict[str, int]] = {}  # values a step records besides h_t: name -> width/H
    fold_hidden_bias: ClassVar[bool] = True  # b_hh may join b_ih in the hoisted projection
    tanh_gates: ClassVar[tuple[str, ...]] = ()  # gates whose pre-activation feeds a tanh
    xp_record: ClassVar[str | None] = None  # recorded buffer the step computes in place over xp
    needs_previous: ClassVar[tuple[str, ...]] = ()  # previous states backward_factors reads
    scale_hidden: ClassVar[bool] = True  # gate_scale applies to the recurrent projection too
    # blocks of "xp" and of recorded buffers the step reads: buffer -> {block: width/H}, in order
    blocks: ClassVar[dict[str, dict[str, int]]] = {}
    torch_cell: ClassVar[type[nn.Module]]

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, layer_norm: bool = False
    ):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        G, H = len(self.gates), hidden_size
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.layer_norm = layer_norm
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))  # (G*H, F)
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))  # (G*H, H)
        self.bias_ih = nn.Parameter(torch.empty(G * H)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(G * H)) if bias else None
        scale = torch.tensor([-2.0 if g in self.tanh_gates else 1.0 for g in self.gates])
        self.register_buffer("gate_scale", scale.repeat_interleave(H), persistent=False)  # (G*H,)
        if layer_norm:
            self.ln_gain_ih = nn.Parameter(torch.ones(G * H))
            self.ln_gain_hh = nn.Parameter(torch.ones(G * H))
        self.reset_parameters()

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
    def fast_path_ok(self) -> bool:
        """Whether the hand-written backward (``bptt.py``) covers this configuration."""
        return not self.layer_norm and hasattr(self, "backward_factors")

    def _norm(self, v: Tensor, gain: Tensor) -> Tensor:
        """LN per gate: v (..., g*H) -> (..., g*H), each H block normalised, then scaled."""
        return layer_norm(v, self.hidden_size, gain)

    def input_projection(self, x: Tensor, out: Tensor | None = None) -> Tensor:
        """``scale ⊙ (W_ih x + b_ih (+ b_hh))`` (b_hh when the cell folds it in), for any leading
        shape; ``scale`` is ``gate_scale`` (−2 on the rows that feed a tanh).

        Shape:
            x: (..., F) -> (..., G*H), written into ``out`` (no autograd) when given.
        """
        b, scale = self.bias_ih, self.gate_scale[:, None]  # (G*H, 1)
        if b is not None and self.fold_hidden_bias:
            b = b + self.bias_hh
        if self.layer_norm:
            xp = self._norm(F.linear(x, self.weight_ih), self.ln_gain_ih)
            return torch.mul(xp if b is None else xp + b, scale[:, 0], out=out)
        w, b = self.weight_ih * scale, None if b is None else b * scale[:, 0]
        if out is None:
            return F.linear(x, w, b)
        x2, out2 = x.flatten(0, -2), out.view(-1, out.shape[-1])  # (N, F), (N, G*H)
        (torch.mm(x2, w.t(), out=out2) if b is None else torch.addmm(b, x2, w.t(), out=out2))
        return out

    def step_weights(self) -> StepWeights:
        """The recurrent weights as every step of a sequence reads them (see ``StepWeights``)."""
        scale, w, b = self.gate_scale, self.weight_hh, self.bias_hh
        scale = scale if self.scale_hidden else torch.ones_like(scale)
        if not self.layer_norm:  # LN would undo a scale: there it follows the normalisation
            w, b = w * scale[:, None], None if b is None else b * scale
        b = None if self.fold_hidden_bias else b
        one, minus_two = scale.new_ones(()), scale.new_full((), -2.0)
        return StepWeights(w.t().contiguous(), b, scale, one, minus_two)

    def hidden_projection(
        self,
        h_prev: Tensor,
        w: StepWeights,
        mask: Tensor | None = None,
        add: Tensor | None = None,
        rows: slice | None = None,
        out: Tensor | None = None,
    ) -> Tensor:
        """``add + scale ⊙ (W_hh h_prev (+ b_hh))``: the one recurrent matmul of a step.

        Args:
            h_prev: (B, H) previous hidden state.
            w: this sequence's ``step_weights()``.
            mask: (B, H) recurrent dropout mask applied to ``h_prev`` first, or None.
            add: (B, g*H) added to the product (the step's input projection), or None.
            rows: gate rows of ``weight_hh`` to use (GRU with ``reset_after=False``), or all.
            out: (B, g*H) buffer to write the result into (no autograd), or None; when it is
                ``add`` itself, the product is added in place.

        Returns:
            (B, g*H); ``b_hh`` is included unless the cell folded it into ``add``.
        """
        if mask is not None:
            h_prev = h_prev * mask
        w_t, b = (w.w_t, w.b) if rows is None else (w.w_t[:, rows], w.b)
        if b is not None and rows is not None:
            b = b[rows]
        if self.layer_norm:
            gain, scale = self.ln_gain_hh, w.scale
            if rows is not None:
                gain, scale = gain[rows], scale[rows]
            hp = self._norm(h_prev @ w_t, gain)
            hp = (hp if b is None else hp + b) * scale
            if add is not None:
                return torch.add(add, hp, out=out)
            return hp if out is None else out.copy_(hp)
        if out is not None and out is add:  # the fast path: xp_t's buffer becomes the result
            out.addmm_(h_prev, w_t)
            return out if b is None else out.add_(b)
        base = add if b is None else (b if add is None else add + b)
        if base is None:
            return torch.mm(h_prev, w_t, out=out)
        return torch.addmm(base, h_prev, w_t, out=out)

    def split(self, t: Tensor, name: str, rec: dict[str, Tensor] | None) -> tuple[Tensor, ...]:
        """A step's tensor ``t`` (B, ·), called ``name``, cut into ``blocks[name]``: the loop's
        views when recording (made once per sequence, see ``loop.record_views``), else slices."""
        if rec is not None:
            return rec["blocks:" + name]
        return t.split([k * self.hidden_size for k in self.blocks[name].values()], -1)

    def gate_values(self, rec: dict[str, Tensor]) -> dict[str, Tensor]:
        """Named gate activations and states from recorded values, (..., H) each."""
        names = self.gates + self.state_names
        return {k: v for k, v in rec.items() if k in names}

    def initial_state(self, batch: int, like: Tensor) -> State:
        """Zeros for every state tensor, (B, H) each."""
        return tuple(like.new_zeros(batch, self.hidden_size) for _ in self.state_names)

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
        _, state = self.step(self.input_projection(input), state, self.step_weights())
        return state if len(state) > 1 else state[0]

    def check_state(self, hx: Tensor | State, batch: int) -> State:
        """``hx`` as a tuple of (B, H) tensors; ValueError naming the expected shapes."""
        state = (hx,) if isinstance(hx, Tensor) else tuple(hx)
        want = (batch, self.hidden_size)
        if len(state) != len(self.state_names) or any(s.shape != want for s in state):
            got = [tuple(s.shape) for s in state]
            raise ValueError(
                f"{type(self).__name__} state must be {len(self.state_names)} tensor(s) "
                f"{self.state_names} of shape {want}, got {got}"
            )
        return state

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, bias={self.bias}, layer_norm={self.layer_norm}"
        )

    def _torch_kwargs(self) -> dict:
        return {}

    @classmethod
    def from_torch(cls, module: nn.Module) -> RecurrentCell:
        """A cell with the weights of a torch.nn cell (RNNCell, LSTMCell or GRUCell)."""
        kwargs = {"nonlinearity": module.nonlinearity} if hasattr(module, "nonlinearity") else {}
        cell = cls(module.input_size, module.hidden_size, bias=module.bias, **kwargs)
        cell.load_state_dict(module.state_dict())
        return cell.to(module.weight_ih)

    def to_torch(self) -> nn.Module:
        """The torch.nn cell with these weights (no layer norm: torch.nn has none)."""
        if self.layer_norm:
            raise ValueError("layer_norm=True has no torch.nn equivalent; use layer_norm=False")
        cell = self.torch_cell(
            self.input_size, self.hidden_size, bias=self.bias, **self._torch_kwargs()
        )
        cell.load_state_dict(self.state_dict())
        return cell.to(self.weight_ih)
