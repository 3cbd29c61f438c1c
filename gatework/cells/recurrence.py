"""One layer direction (a cell run over time) and the bidirectional composition of two."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State
from gatework.cells.bptt import bptt
from gatework.cells.loop import scan


class Recurrence(nn.Module):
    """One cell run over time in one direction (one layer of one direction).

    Uses the hand-written backward of ``bptt.py`` when the cell supports it and no recurrent
    dropout is active; otherwise autograd through ``scan``. Both give the same numbers.

    Args:
        cell: the cell (its parameters are this module's).
        reverse: process the sequence from the last step to the first.
        recurrent_dropout: probability of zeroing each unit of h_prev before the recurrent
            matmul; one mask per sequence, the same at every step (Gal & Ghahramani 2016),
            scaled by 1/(1−p), only in training.
    """

    def __init__(self, cell: RecurrentCell, reverse: bool = False, recurrent_dropout: float = 0.0):
        super().__init__()
        self.cell, self.reverse, self.recurrent_dropout = cell, reverse, recurrent_dropout
        self.fast_backward = True  # False: always autograd through ``scan`` (for comparisons)

    def sample_mask(self, B: int, like: Tensor) -> Tensor | None:
        """(B, H) inverted-dropout mask with values in {0, 1/(1−p)}, or None when inactive."""
        p = self.recurrent_dropout
        if not self.training or p == 0.0:
            return None
        keep = like.new_empty(B, self.cell.hidden_size).bernoulli_(1.0 - p)
        return keep.div_(1.0 - p)

    def forward(
        self, x: Tensor, state: State, trace: dict[str, Tensor] | None = None
    ) -> tuple[Tensor, State]:
        """Run the cell over ``x``.

        Args:
            x: (T, B, F) time-major inputs.
            state: initial state, tuple of (B, H).
            trace: when a dict, the step's intermediate values (T, B, H) per gate/state name
                are stored in it (no autograd graph is recorded).

        Returns:
            out (T, B, H) and the final state.
        """
        mask = self.sample_mask(x.shape[1], x)  # (B, H) or None
        x = x.contiguous()  # (T, B, F): the projection's matmul is faster on contiguous rows
        if self.fast_backward and self.cell.fast_path_ok and mask is None and trace is None:
            return bptt(self.cell, x, state, self.reverse)  # input projection inside
        if trace is not None:
            rec: dict[str, Tensor] = {}
            with torch.no_grad():
                xp = self.cell.input_projection(x)  # (T, B, G*H), all steps in one matmul
                out, state = scan(self.cell, xp, state, self.reverse, mask, rec)
            trace.update(self.cell.gate_values(rec))
            return out, state
        return scan(self.cell, self.cell.input_projection(x), state, self.reverse, mask)

    def extra_repr(self) -> str:
        return f"reverse={self.reverse}, recurrent_dropout={self.recurrent_dropout}"


class Bidirectional(nn.Module):
    """Two recurrences over the same input, outputs concatenated forward-first like torch.nn."""

    def __init__(self, fwd: Recurrence, bwd: Recurrence):
        super().__init__()
        self.fwd, self.bwd = fwd, bwd

    def forward(
        self, x: Tensor, states: list[State], traces: tuple[dict | None, dict | None] = (None, None)
    ) -> tuple[Tensor, list[State]]:
        """x (T, B, F) -> out (T, B, 2H), [final forward state, final backward state]."""
        out_f, state_f = self.fwd(x, states[0], traces[0])
        out_b, state_b = self.bwd(x, states[1], traces[1])
        return torch.cat([out_f, out_b], dim=-1), [state_f, state_b]  # (T, B, 2H)
