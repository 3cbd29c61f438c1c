"""One factory for recurrent layers: gatework's cells or torch.nn's, with the same interface."""

from __future__ import annotations

from torch import nn

from gatework.models.recurrent_options import RecurrentOptions


def make_recurrent(options: RecurrentOptions, input_size: int) -> nn.Module:
    """Builds a batch-first recurrent stack: ``out, state = layer(x, state=None)``.

    Both backends take the same weights (torch.nn names and gate order) and return the same
    ``out`` (B, T, D*H) and ``state`` ((L*D, B, H), or a pair of them for LSTM), so swapping
    ``options.backend`` compares gatework's cells with torch.nn's fused kernels in the same run.

    Args:
        options: the stack (cell, sizes, dropout, backend, ...), already validated.
        input_size: features per input step.

    Returns:
        The recurrent module.
    """
    common = dict(
        input_size=input_size,
        hidden_size=options.hidden_size,
        num_layers=options.num_layers,
        batch_first=True,
        dropout=options.dropout,
        bidirectional=options.bidirectional,
    )
    if options.backend == "torch":
        torch_layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[options.cell]
        return torch_layer(**common)

    from gatework import cells  # imported here: the cells are optional for backend=torch

    extra = dict(recurrent_dropout=options.recurrent_dropout, layer_norm=options.layer_norm)
    if options.cell == "gru":
        return cells.GRU(**common, **extra, reset_after=options.reset_after)
    if options.cell == "lstm":
        return cells.LSTM(**common, **extra)
    return cells.SimpleRNN(**common, **extra)
