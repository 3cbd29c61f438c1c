"""RecurrentOptions: how every recurrent model builds its stack, written once (``model.rnn``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

CELLS = ("rnn", "lstm", "gru")
BACKENDS = ("gatework", "torch")
TORCH_LACKS = {"recurrent_dropout": 0.0, "layer_norm": False, "reset_after": True}


@dataclass(frozen=True)
class RecurrentOptions:
    """The recurrent stack of a model: ``model.rnn.<option>=...`` on the command line.

    Every recurrent model (``rnn``, ``lstm``, ``gru``, ``seq2seq``, ``encoder_decoder``,
    ``cnn_lstm``, ``conv_gru``) takes one of these as its ``rnn`` argument (a dict is accepted,
    as Hydra and checkpoints pass it), so an option is documented, validated and built here once.

    Args:
        cell: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``.
        hidden_size: H, units per layer and direction.
        num_layers: L, stacked layers.
        bidirectional: a second direction reads the window back to front (many-to-one models only:
            in a model that forecasts from every step, it would read that step's targets).
        dropout: dropout between stacked layers (torch.nn semantics).
        recurrent_dropout: dropout on the recurrent state, one mask per sequence (gatework only).
        layer_norm: layer normalisation inside the cell (gatework only).
        reset_after: GRU only; False is Cho et al. 2014's form (gatework only).
        backend: ``"gatework"`` (gatework.cells) or ``"torch"`` (torch.nn.RNN/LSTM/GRU).

    Raises:
        ValueError: naming the option and the fix, for an unknown cell or backend, a GRU-only
            option on another cell, or an option ``backend="torch"`` cannot honour.
    """

    cell: str = "gru"
    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    layer_norm: bool = False
    reset_after: bool = True
    backend: str = "gatework"

    def __post_init__(self) -> None:
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
        return cls(**value)

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

    def as_dict(self) -> dict:
        """Plain values, as saved in a checkpoint's hyperparameters."""
        return asdict(self)
