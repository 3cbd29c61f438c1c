"""What every fast kernel shares: the weights laid out once per sequence, and the projections.

A kernel restates one cell's ``step`` in the form that is fastest here, and writes its
derivatives next to it. It reads the cell's own parameters; the cell knows nothing of it.

tanh is evaluated as ``tanh(a) = 1 − 2σ(−2a)`` (torch's CPU tanh costs several sigmoids), so the
pre-activation rows that feed a tanh are scaled by −2: ``scale`` (G*H,) is −2 there and 1
elsewhere, and both projections return ``scale ⊙ (W x + b)``, which costs nothing per step (the
weights are scaled once per sequence; a kernel whose step scales its recurrent term for free,
as the GRU's ``addcmul(..., value=-2)``, sets ``scale_hidden = False``). The form ``1 − 2u``
(u the sigmoid) makes a product with a tanh one op: ``o ⊙ tanh(c) = addcmul(o, o, u, value=-2)``.
Derivatives are taken with respect to the unscaled pre-activations, so the backward uses the
weights as they are.

The step writes every value into the views ``rec`` of (T, B, ·) buffers that the recording loop
allocated once (``recording.record_views``), with ``out=``, instead of into new tensors: the values
the backward needs stay there (``bptt.py``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar, NamedTuple

import torch
from torch import Tensor

from gatework.cells.base import RecurrentCell, State


class StepWeights(NamedTuple):
    """What every step of one sequence reads, prepared once (``Kernel.step_weights``).

    Attributes:
        w_t: (H, G*H) ``(scale ⊙ W_hh)ᵀ``, contiguous: the right factor of ``h_prev @ w_t``.
        b: (G*H,) ``b_hh``, unscaled, when the step adds it (not folded into the input
            projection), or None.
        one: 1 as a 0-dim tensor: ``tanh(a) = 1 + (−2)σ(−2a)`` in one op (a Python scalar
            there costs a conversion per call).
        minus_two: −2 as a 0-dim tensor: the argument ``−2c`` of a tanh computed in the step.
    """

    w_t: Tensor
    b: Tensor | None
    one: Tensor
    minus_two: Tensor


@lru_cache(maxsize=64)
def _gate_scale(mask: tuple[bool, ...], H: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    values = [-2.0 if tanh else 1.0 for tanh in mask for _ in range(H)]
    return torch.tensor(values, dtype=dtype, device=device)  # (G*H,)


class Kernel:
    """Base of the fast form of one cell (see the module docstring).

    Class attributes, read by the recording loop and the backward:
        recorded: values a step records besides h_t: name -> width / H.
        xp_record: the recorded buffer the step computes over its input projection in place.
        blocks: blocks of ``"xp"`` and of recorded buffers the step reads, in order:
            buffer -> {block: width / H}.
        fold_hidden_bias: b_hh joins b_ih in the input projection.
        scale_hidden: ``scale`` applies to the recurrent weights too.
        needs_previous: previous states ``backward_factors`` reads.
    """

    recorded: ClassVar[dict[str, int]] = {}
    xp_record: ClassVar[str | None] = None
    blocks: ClassVar[dict[str, dict[str, int]]] = {}
    fold_hidden_bias: ClassVar[bool] = True
    scale_hidden: ClassVar[bool] = True
    needs_previous: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cell: RecurrentCell, tanh_gates: tuple[str, ...]):
        self.cell, self.hidden_size = cell, cell.hidden_size
        self.gates, self.state_names = cell.gates, cell.state_names
        w = cell.weight_ih
        tanh = tuple(g in tanh_gates for g in cell.gates)
        self.scale = _gate_scale(tanh, cell.hidden_size, w.dtype, w.device)  # (G*H,)

    @staticmethod
    def covers(cell: RecurrentCell) -> bool:
        """Whether this kernel computes ``cell``'s equations (no option it lacks)."""
        return not cell.layer_norm

    def step_weights(self) -> StepWeights:
        """The recurrent weights as every step of a sequence reads them (see ``StepWeights``)."""
        w, b = self.cell.weight_hh, self.cell.bias_hh
        if self.scale_hidden:
            w = w * self.scale[:, None]
        b = None if self.fold_hidden_bias else b  # kernels that keep b_hh apart leave it unscaled
        one, minus_two = self.scale.new_ones(()), self.scale.new_full((), -2.0)
        return StepWeights(w.t().contiguous(), b, one, minus_two)

    def input_projection(self, x: Tensor, out: Tensor) -> Tensor:
        """``scale ⊙ (W_ih x + b_ih (+ b_hh))`` written into ``out`` (no autograd).

        Shape:
            x: (k, B, F) -> out (k, B, G*H).
        """
        cell, scale = self.cell, self.scale
        b = cell.bias_ih
        if b is not None and self.fold_hidden_bias:
            b = b + cell.bias_hh
        w = cell.weight_ih * scale[:, None]
        x2, out2 = x.flatten(0, -2), out.view(-1, out.shape[-1])  # (N, F), (N, G*H)
        if b is None:
            torch.mm(x2, w.t(), out=out2)
        else:
            torch.addmm(b * scale, x2, w.t(), out=out2)
        return out

    def step(
        self, xp_t: Tensor, state: State, w: StepWeights, rec: dict[str, Tensor]
    ) -> tuple[Tensor, State]:
        """One step, written into ``rec``'s views: ``(h_t, new state)``."""
        raise NotImplementedError

    def backward_factors(self, rec: dict[str, Tensor], prev: dict[str, Tensor]) -> tuple:
        """Local derivatives of a chunk of steps (BPTT, part 1); see ``bptt.py``."""
        raise NotImplementedError

    def step_backward(self, factors: tuple, dh: Tensor, dstate: State, d_out_prev: Tensor) -> tuple:
        """One step back in time (BPTT, part 2); see ``bptt.py``."""
        raise NotImplementedError
