"""RecurrentOptions: how every recurrent model builds its stack, written once (``model.rnn``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

CELLS = ("rnn", "lstm", "gru")
BACKENDS = ("gatework", "torch")
INITS = ("torch", "keras")
TORCH_LACKS = {"recurrent_dropout": 0.0, "layer_norm": False, "reset_after": True}


@dataclass(frozen=True)
class RecurrentOptions:
    """The recurrent stack of a model: ``model.rnn.<option>=...`` on the command line.

    Every recurrent model (``rnn``, ``lstm``, ``gru``, ``seq2seq``, ``encoder_decoder``,
    ``cnn_lstm``, ``conv_gru``) takes one of these as its ``rnn`` argument (a dict is accepted,
    as Hydra and checkpoints pass it), so an option is documented, validated and built here once.

    Args:
        cell: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``.
        hidden_size: H, units per layer and direction; a list gives each layer its own size
            (``[20, 20, 1]``: three layers, as Keras stacks them).
        num_layers: L, stacked layers (with a list of sizes: 1 or the list's length).
        bidirectional: a second direction reads the window back to front (many-to-one models only:
            in a model that forecasts from every step, it would read that step's targets).
        dropout: dropout between stacked layers (torch.nn semantics).
        recurrent_dropout: dropout on the recurrent state, one mask per sequence (gatework only).
        layer_norm: layer normalisation inside the cell (gatework only).
        reset_after: GRU only; False is Cho et al. 2014's form (gatework only).
        backend: ``"gatework"`` (gatework.cells) or ``"torch"`` (torch.nn.RNN/LSTM/GRU).
        head: a Linear layer maps the last layer's output to the forecast; False makes the last
            layer's own output the forecast (Keras' ``SimpleRNN(1)``), so its width must be the
            forecast's.
        init: ``"torch"`` (torch.nn's U(±1/√H)) or ``"keras"``: Keras' defaults, Glorot-uniform
            input weights, orthogonal recurrent weights, zero biases, LSTM forget bias 1, and a
            Glorot-uniform head (:mod:`gatework.models.keras_init`).

    Raises:
        ValueError: naming the option and the fix, for an unknown cell or backend, a GRU-only
            option on another cell, or an option ``backend="torch"`` cannot honour.
    """

    cell: str = "gru"
    hidden_size: int | list[int] = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    layer_norm: bool = False
    reset_after: bool = True
    backend: str = "gatework"
    head: bool = True
    init: str = "torch"

    def __post_init__(self) -> None:
        sizes = self.sizes
        if not sizes or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in sizes):
            raise ValueError(
                "model.rnn.hidden_size must be a positive int or a list of them, got "
                f"{self.hidden_size!r}"
            )
        if isinstance(self.hidden_size, list) and self.num_layers not in (1, len(sizes)):
            raise ValueError(
                f"model.rnn.hidden_size={self.hidden_size} gives {len(sizes)} layers, but "
                f"model.rnn.num_layers={self.num_layers}: leave num_layers at 1 with a list"
            )
        if self.init not in INITS:
            raise ValueError(f"model.rnn.init must be one of {INITS}, got {self.init!r}")
        if self.cell not in CELLS:
            raise ValueError(f"model.rnn.cell must be one of {CELLS}, got {self.cell!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"model.rnn.backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.cell != "gru" and not self.reset_after:
            raise ValueError(
                f"model.rnn.reset_after=false applies to GRU only, not to cell={self.cell!r}"
            )
        if self.backend == "torch":
            for name, default in TORCH_LACKS.items():
                value = getattr(self, name)
                if value != default:
                    raise ValueError(
                        f"model.rnn.{name}={value} is not available in torch.nn (backend=torch "
                        f"needs {name}={default}); use model.rnn.backend=gatework or drop the "
                        "option"
                    )

    @classmethod
    def of(cls, value: RecurrentOptions | Mapping | None) -> RecurrentOptions:
        """``value`` as options: a dict (from Hydra or a checkpoint) or None (the defaults)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(
                f"model.rnn has no option {unknown[0]!r}; the options are {sorted(known)}"
            )
        value = dict(value)
        if not isinstance(value.get("hidden_size", 0), int):  # a list, or Hydra's ListConfig
            value["hidden_size"] = list(value["hidden_size"])
        return cls(**value)

    @property
    def sizes(self) -> list[int]:
        """Units of each layer, first to last."""
        if isinstance(self.hidden_size, int):
            return [self.hidden_size] * self.num_layers
        return list(self.hidden_size)

    @property
    def width(self) -> int:
        """Features of the last layer's output: D · H_last."""
        return self.directions * self.sizes[-1]

    @property
    def directions(self) -> int:
        """D: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    def unidirectional(self, model: str) -> RecurrentOptions:
        """These options, after checking they hold one direction (decoders, per-step heads)."""
        if self.bidirectional:
            raise ValueError(
                f"{model} forecasts from every step or step by step, so a backward direction "
                "would read the values it forecasts: set model.rnn.bidirectional=false"
            )
        return self
