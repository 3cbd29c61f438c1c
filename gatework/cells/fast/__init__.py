"""The fast kernel behind the textbook cells: the same equations, restated for speed.

A learner never needs to read this package: each cell's ``step`` is the truth, and every kernel
here is tested equal to it in float64 (outputs, states and every gradient;
tests/cells/test_fast_kernel.py). What it does differently, each rewrite documented where it is
made:

- tanh as ``1 − 2σ(−2a)``, with the rows that feed a tanh scaled by −2 once per sequence
  (``kernel.py``), so one sigmoid serves every gate and a product with a tanh is one op;
- a recording loop (``recording.py``): every value written with ``out=`` into buffers allocated
  once, views cut beforehand, steps run in inference mode, the input projected chunk by chunk;
- a hand-written backward through time (``bptt.py``), walking time in cache-sized chunks, with
  each cell's local derivatives (``lstm.py``, ``gru.py``, ``simple_rnn.py``).

``kernel_for`` picks the kernel of a cell where one covers it: exactly ``SimpleRNNCell``,
``LSTMCell`` (no peepholes, projection or layer norm) or ``GRUCell`` (``reset_after=True``, no
layer norm); a subclass of a cell, which may change its ``step``, gets none. The layers then use
it unless they trace gates, apply recurrent dropout, read packed sequences, or were built with
``fast=False``.
"""

from __future__ import annotations

from gatework.cells.base import RecurrentCell
from gatework.cells.fast.bptt import run_kernel
from gatework.cells.fast.gru import GRUKernel
from gatework.cells.fast.kernel import Kernel
from gatework.cells.fast.lstm import LSTMKernel
from gatework.cells.fast.simple_rnn import SimpleRNNKernel
from gatework.cells.gru import GRUCell
from gatework.cells.lstm import LSTMCell
from gatework.cells.simple_rnn import SimpleRNNCell

KERNELS: dict[type[RecurrentCell], type[Kernel]] = {
    SimpleRNNCell: SimpleRNNKernel,
    LSTMCell: LSTMKernel,
    GRUCell: GRUKernel,
}


def kernel_for(cell: RecurrentCell) -> Kernel | None:
    """The fast form of ``cell``'s equations, or None where no kernel covers it."""
    kernel = KERNELS.get(type(cell))
    return kernel(cell) if kernel is not None and kernel.covers(cell) else None


__all__ = ["KERNELS", "kernel_for", "run_kernel"]
