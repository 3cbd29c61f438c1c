"""Gate tracing for teaching: every gate activation and state at every time step."""

from __future__ import annotations

import torch
from torch import Tensor

from gatework.cells.stack import RecurrentStack


def trace_gates(
    layer: RecurrentStack, x: Tensor, state: Tensor | tuple | None = None
) -> dict[str, Tensor]:
    """Run ``layer`` on ``x`` once more through the cells' textbook ``step``, and return every
    value each step named: its gates and its new state.

    Runs without autograd, in the layer's current mode (call ``layer.eval()`` first to switch
    off dropout).

    Args:
        layer: a SimpleRNN, LSTM or GRU.
        x: the layer's input, (B, T, F) (or (T, B, F) when ``batch_first=False``), an
            unbatched (T, F), or a ``PackedSequence`` (values past a sequence's end are 0).
        state: the initial state, as for ``layer(x, state)``.

    Returns:
        ``{"l0.f": ..., "l0.c": ..., "l1_reverse.r": ...}``: keys ``l{k}[_reverse].{name}``
        with the names the cell's step returns (``i f g o c h``, ``r z n h`` or ``h``), each
        (B, T, ·), batch first, in time order (also for the reverse direction); (T, ·) for
        unbatched input.
    """
    trace: dict[str, Tensor] = {}
    with torch.no_grad():
        layer.run(x, state, trace=trace)
    if isinstance(x, Tensor) and x.dim() == 2:  # unbatched (T, F): (T, ·), like the output
        return {k: v[:, 0] for k, v in trace.items()}
    return {k: v.transpose(0, 1) for k, v in trace.items()}  # (T, B, ·) -> (B, T, ·)
