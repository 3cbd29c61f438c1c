"""One cell run over time in one direction, and the bidirectional pair of two such layers."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.cells.base import RecurrentCell, State
from gatework.cells.fast import kernel_for, run_kernel
from gatework.cells.loop import scan


class DirectionalLayer(nn.Module):
    """One cell run over a sequence in one direction: one layer of one direction of a stack.

    Runs the cell's fast kernel (``gatework.cells.fast``) where one covers the cell, when asked
    (``fast``) and when nothing the kernel lacks is needed (tracing, recurrent dropout, packed
    sequences); otherwise the cell's own ``step`` with autograd. Both give the same numbers.

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

    def sample_mask(self, B: int, like: Tensor) -> Tensor | None:
        """(B, H) inverted-dropout mask with values in {0, 1/(1−p)}, or None when inactive."""
        p = self.recurrent_dropout
        if not self.training or p == 0.0:
            return None
        keep = like.new_empty(B, self.cell.state_sizes["h"]).bernoulli_(1.0 - p)
        return keep.div_(1.0 - p)

    def forward(
        self,
        x: Tensor,
        state: State,
        fast: bool = True,
        lengths: Tensor | None = None,
        trace: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, State]:
        """Run the cell over ``x``.

        Args:
            x: (T, B, F) time-major inputs.
            state: initial state, tuple of (B, ·).
            fast: use the fast kernel where it applies.
            lengths: (B,) true length of each sequence (packed input), or None.
            trace: when a dict, receives every named value of the step (gates and states),
                (T, B, ·) each, in time order.

        Returns:
            out (T, B, ·) and the final state.
        """
        mask = self.sample_mask(x.shape[1], x)  # (B, H) or None
        if fast and mask is None and lengths is None and trace is None:
            kernel = kernel_for(self.cell)
            if kernel is not None:  # input projection inside, chunk by chunk
                return run_kernel(kernel, x, state, self.reverse)
        steps: list[dict[str, Tensor]] | None = None if trace is None else []
        wx = self.cell.input_projection(x)  # (T, B, G*H), all steps in one matmul
        out, state = scan(self.cell, wx, state, self.reverse, mask, lengths, steps)
        if trace is not None:
            trace.update({name: torch.stack([s[name] for s in steps]) for name in steps[0]})
        return out, state

    def extra_repr(self) -> str:
        return f"reverse={self.reverse}, recurrent_dropout={self.recurrent_dropout}"


class BidirectionalLayer(nn.Module):
    """Two directional layers over the same input, outputs concatenated forward-first like
    torch.nn."""

    def __init__(self, fwd: DirectionalLayer, bwd: DirectionalLayer):
        super().__init__()
        self.fwd, self.bwd = fwd, bwd

    def forward(
        self,
        x: Tensor,
        states: list[State],
        fast: bool = True,
        lengths: Tensor | None = None,
        traces: tuple[dict | None, dict | None] = (None, None),
    ) -> tuple[Tensor, list[State]]:
        """x (T, B, F) -> out (T, B, 2·H), [final forward state, final backward state]."""
        out_f, state_f = self.fwd(x, states[0], fast, lengths, traces[0])
        out_b, state_b = self.bwd(x, states[1], fast, lengths, traces[1])
        return torch.cat([out_f, out_b], dim=-1), [state_f, state_b]  # (T, B, 2H)
