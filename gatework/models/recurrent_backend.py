"""One factory for recurrent layers and their heads: gatework's cells or torch.nn's, alike."""

from __future__ import annotations

from dataclasses import replace

from torch import nn

from gatework.models.keras_init import keras_dense_init_, keras_recurrent_init_
from gatework.models.layer_stack import LayerStack
from gatework.models.recurrent_options import RecurrentOptions


def make_recurrent(options: RecurrentOptions, input_size: int) -> nn.Module:
    """Builds a batch-first recurrent stack: ``out, state = layer(x, state=None)``.

    Both backends take the same weights (torch.nn names and gate order) and return the same
    ``out`` (B, T, D*H) and ``state`` ((L*D, B, H), or a pair of them for LSTM), so swapping
    ``options.backend`` compares gatework's cells with torch.nn's fused kernels in the same run.
    A list of sizes builds one layer per size in a :class:`LayerStack`, whose state is a list.

    Args:
        options: the stack (cell, sizes, dropout, backend, init, ...), already validated.
        input_size: features per input step.

    Returns:
        The recurrent module.
    """
    if not isinstance(options.hidden_size, int):
        widths = [input_size] + [options.directions * h for h in options.sizes[:-1]]
        return LayerStack(
            [
                make_recurrent(replace(options, hidden_size=h, num_layers=1), width)
                for width, h in zip(widths, options.sizes, strict=True)
            ],
            dropout=options.dropout,
        )
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
        layer = torch_layer(**common)
    else:
        from gatework import cells  # imported here: the cells are optional for backend=torch

        extra = dict(recurrent_dropout=options.recurrent_dropout, layer_norm=options.layer_norm)
        if options.cell == "gru":
            layer = cells.GRU(**common, **extra, reset_after=options.reset_after)
        elif options.cell == "lstm":
            layer = cells.LSTM(**common, **extra)
        else:
            layer = cells.SimpleRNN(**common, **extra)
    return keras_recurrent_init_(layer, options.cell) if options.init == "keras" else layer


def make_head(options: RecurrentOptions, out_features: int) -> nn.Module:
    """The layer from the stack's last output (D·H_last wide) to ``out_features`` values.

    Args:
        options: the stack; ``head=False`` makes the last layer's output the forecast.
        out_features: values per forecast (``n_ahead * n_targets``, or ``n_targets`` per
            decoder step).

    Returns:
        ``nn.Linear(D·H_last, out_features)``, or ``nn.Identity()`` without a head.

    Raises:
        ValueError: without a head, when the last layer is not ``out_features`` wide.
    """
    if options.head:
        head = nn.Linear(options.width, out_features)
        return keras_dense_init_(head) if options.init == "keras" else head
    if options.width != out_features:
        raise ValueError(
            f"model.rnn.head=false makes the last recurrent layer the forecast, so it needs "
            f"{out_features} output(s) (n_ahead · n_targets), got {options.width} "
            f"(hidden_size={options.hidden_size}, bidirectional={options.bidirectional}): end "
            f"model.rnn.hidden_size with {out_features}, e.g. [20, 20, {out_features}]"
        )
    return nn.Identity()
