"""Seq2Seq: a recurrent stack that forecasts the next n_ahead values at every time step."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent_backend import make_recurrent


class Seq2Seq(ForecastModule):
    """Recurrent stack returning every step -> per-step Linear -> n_ahead values per step.

    Trained on ``sequence`` targets: row ``t`` of the output forecasts the ``n_ahead`` steps
    after input step ``t``, so every step gives a training signal (Géron's sequence-to-sequence
    RNN). Evaluation reads the last step. The stack is unidirectional: a backward direction
    would let step ``t`` read inputs after ``t``, i.e. its own targets.

    Args:
        spec: the datamodule's window description (``target_mode="sequence"``).
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.
        hidden_size: units per layer.
        num_layers: stacked recurrent layers.
        dropout: dropout between stacked layers.
        recurrent_dropout: dropout on the recurrent state (gatework backend).
        layer_norm: layer normalisation in the cell (gatework backend).
        reset_after: GRU reset-gate placement (False: Cho et al. 2014; gatework backend).
        backend: ``"gatework"`` or ``"torch"``.
        loss: ``"mse"``, ``"mae"``, ``"huber"`` or ``"quantile"``.
        optimizer: a partial optimiser (default Adam, lr 1e-3).
        time2vec: Time2Vec features per input step (0 = none).
        quantiles: with ``loss="quantile"``, the levels to forecast (see ForecastModule).

    Shape:
        forward(x): (B, T, F) -> (B, T, n_ahead * n_targets).
    """

    target_modes = ("sequence",)

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        cell: str = "gru",
        hidden_size: int = 32,
        num_layers: int = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        layer_norm: bool = False,
        reset_after: bool = True,
        backend: str = "gatework",
        loss: str = "mse",
        optimizer: Callable | None = None,
        time2vec: int = 0,
        quantiles: Sequence[float] | None = None,
    ) -> None:
        super().__init__(
            spec, loss=loss, optimizer=optimizer, time2vec=time2vec, quantiles=quantiles
        )
        self.rnn = make_recurrent(
            cell,
            self.input_size,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            layer_norm=layer_norm,
            reset_after=reset_after,
            backend=backend,
        )
        self.head = nn.Linear(hidden_size, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return self.head(out)  # (B, T, K*J)
