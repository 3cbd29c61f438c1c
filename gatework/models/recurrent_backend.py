"""One factory for recurrent layers: gatework's cells or torch.nn's, with the same interface."""

from __future__ import annotations

from torch import nn

CELLS = ("rnn", "lstm", "gru")
BACKENDS = ("gatework", "torch")


def make_recurrent(
    cell: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    dropout: float = 0.0,
    bidirectional: bool = False,
    recurrent_dropout: float = 0.0,
    layer_norm: bool = False,
    reset_after: bool = True,
    backend: str = "gatework",
) -> nn.Module:
    """Builds a batch-first recurrent stack: ``out, state = layer(x, state=None)``.

    Both backends take the same weights (torch.nn names and gate order) and return the same
    ``out`` (B, T, D*H) and ``state`` ((L*D, B, H), or a pair of them for LSTM), so swapping
    ``backend`` compares gatework's cells with torch.nn's fused kernels in the same run.

    Args:
        cell: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``.
        input_size: features per input step.
        hidden_size: H, units per layer and direction.
        num_layers: L, stacked layers.
        dropout: dropout between stacked layers (torch.nn semantics).
        bidirectional: D = 2 directions when True.
        recurrent_dropout: dropout on the recurrent state (gatework only).
        layer_norm: layer normalisation inside the cell (gatework only).
        reset_after: GRU only; False is Cho et al. 2014's form (gatework only).
        backend: ``"gatework"`` (gatework.cells) or ``"torch"`` (torch.nn.RNN/LSTM/GRU).

    Returns:
        The recurrent module.
    """
    if cell not in CELLS:
        raise ValueError(f"model.cell must be one of {CELLS}, got {cell!r}")
    if backend not in BACKENDS:
        raise ValueError(f"model.backend must be one of {BACKENDS}, got {backend!r}")
    if cell != "gru" and not reset_after:
        raise ValueError(f"model.reset_after=false applies to GRU only, not to cell={cell!r}")
    common = dict(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        batch_first=True,
        dropout=dropout,
        bidirectional=bidirectional,
    )
    if backend == "torch":
        unsupported = {
            "recurrent_dropout": (recurrent_dropout, 0.0),
            "layer_norm": (layer_norm, False),
            "reset_after": (reset_after, True),
        }
        for name, (value, default) in unsupported.items():
            if value != default:
                raise ValueError(
                    f"model.{name}={value} is not available in torch.nn (backend=torch needs "
                    f"{name}={default}); use model.backend=gatework or drop the option"
                )
        torch_layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        return torch_layer(**common)

    from gatework import cells  # imported here: the cells are optional for backend=torch

    extra = dict(recurrent_dropout=recurrent_dropout, layer_norm=layer_norm)
    if cell == "gru":
        return cells.GRU(**common, **extra, reset_after=reset_after)
    if cell == "lstm":
        return cells.LSTM(**common, **extra)
    return cells.SimpleRNN(**common, **extra)
