"""A model's recurrent layer: finding it, reading its input, copying it into gatework's cells."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework import cells

LAYERS = {"rnn": cells.SimpleRNN, "lstm": cells.LSTM, "gru": cells.GRU}  # model.rnn.cell
GATEWORK_LAYERS = tuple(LAYERS.values())
FROM_TORCH = {layer.torch_class: layer for layer in GATEWORK_LAYERS}  # nn.LSTM -> LSTM, ...
CELL_NAMES = {layer: name for name, layer in LAYERS.items()}


def recurrent_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every recurrent layer of ``model`` (gatework's or torch.nn's), by attribute name.

    Found by type, not by attribute name, so any model that holds a SimpleRNN/LSTM/GRU layer
    (``Recurrent.rnn``, ``CNNLSTM.lstm``, an encoder and a decoder) is read the same way.
    """
    found: list[tuple[str, nn.Module]] = []
    for name, module in model.named_modules():
        inside = any(name.startswith(f"{outer}.") for outer, _ in found)
        if not inside and isinstance(module, (*GATEWORK_LAYERS, nn.RNNBase)):
            found.append((name, module))
    return found


def first_recurrent_layer(model: nn.Module) -> tuple[str, nn.Module]:
    """The first recurrent layer of ``model``; a ValueError names the model when there is none."""
    found = recurrent_layers(model)
    if not found:
        raise ValueError(
            f"{type(model).__name__} has no recurrent layer (SimpleRNN, LSTM or GRU): gates "
            "and gradients through time need one; try model=lstm, model=gru or model=rnn"
        )
    return found[0]


def as_gatework(layer: nn.Module) -> nn.Module:
    """``layer`` as a gatework layer: itself, or a torch.nn RNN/LSTM/GRU copied with its weights
    (``from_torch``), so that a model trained with ``backend=torch`` can be traced too."""
    if isinstance(layer, GATEWORK_LAYERS):
        return layer
    if type(layer) in FROM_TORCH:
        return FROM_TORCH[type(layer)].from_torch(layer)
    raise ValueError(f"expected a SimpleRNN, LSTM or GRU layer, got {type(layer).__name__}")


def layer_input(model: nn.Module, layer: nn.Module, batch: tuple[Tensor, ...]) -> Tensor:
    """What ``layer`` reads when ``model`` forecasts ``batch``: the window itself for a plain
    recurrent model, the convolution's features for a CNN-LSTM, and so on.

    Args:
        model: a ForecastModule holding ``layer``.
        layer: one of its recurrent layers.
        batch: ``(x, y)`` or ``(x, y, x_future)``, scaled, as the datamodule serves them.

    Returns:
        The layer's input at its first call, (B, T', F') batch first, detached.
    """
    seen: list[Tensor] = []
    hook = layer.register_forward_pre_hook(lambda _, args: seen.append(args[0].detach()))
    try:
        with torch.no_grad():
            model.forecast(batch[0], batch[2] if len(batch) > 2 else None)
    finally:
        hook.remove()
    return seen[0]


def swap_recurrent_layer(model: nn.Module, layer: nn.Module) -> nn.Module:
    """Put ``layer`` in place of ``model``'s first recurrent layer (same sizes); returns model."""
    name, old = first_recurrent_layer(model)
    if (layer.input_size, layer.hidden_size) != (old.input_size, old.hidden_size):
        raise ValueError(
            f"the new layer reads {layer.input_size} features into {layer.hidden_size} units, "
            f"{name} reads {old.input_size} into {old.hidden_size}"
        )
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent), attr, layer)
    return model
