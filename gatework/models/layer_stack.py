"""LayerStack: recurrent layers of different sizes in turn (``model.rnn.hidden_size=[20,20,1]``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn


class LayerStack(nn.Module):
    """Runs recurrent layers in turn, each reading the previous one's outputs, as Keras stacks
    ``SimpleRNN(20, return_sequences=True), SimpleRNN(20, ...), SimpleRNN(1)``.

    torch.nn's layers keep one size for every layer, hence this small container; its state is a
    list with one entry per layer, in that layer's own layout.

    Args:
        layers: single-layer recurrent modules, batch first, ``out, state = layer(x, state)``.
        dropout: dropout on the outputs of every layer but the last, in training (torch.nn's
            ``dropout``).

    Shape:
        forward(x, state=None): x (B, T, F) -> out (B, T, D·H_last) and a list of per-layer
        states (h (D, B, H_k), or (h, c) for LSTM); ``state`` is such a list, or None (zeros).
    """

    def __init__(self, layers: Sequence[nn.Module], dropout: float = 0.0) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.dropout = dropout

    def forward(self, x: Tensor, state: list | None = None) -> tuple[Tensor, list]:
        states = [None] * len(self.layers) if state is None else state
        finals = []
        for k, (layer, s) in enumerate(zip(self.layers, states, strict=True)):
            if k > 0:
                x = F.dropout(x, self.dropout, self.training)
            x, s = layer(x, s)  # (B, T, D*H_k)
            finals.append(s)
        return x, finals
