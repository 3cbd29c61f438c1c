"""Recurrent: many-to-one SimpleRNN / LSTM / GRU stacks (configs rnn, lstm, gru)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent_backend import make_recurrent


def final_hidden(state: Tensor | tuple[Tensor, Tensor], directions: int) -> Tensor:
    """The last layer's final hidden state of every direction, side by side.

    Args:
        state: ``h_n`` (L*D, B, H), or ``(h_n, c_n)`` for LSTM, in torch.nn's layout.
        directions: D, 1 or 2.

    Returns:
        (B, D*H): forward direction first, as torch.nn orders ``out``.
    """
    h_n = state[0] if isinstance(state, tuple) else state  # (L*D, B, H)
    return h_n[-directions:].transpose(0, 1).flatten(1)  # (B, D*H)


class Recurrent(ForecastModule):
    """Recurrent stack over the window, then its final hidden state -> Linear to the forecast.

    ``model=gru model.num_layers=3`` is a deep GRU. With ``bidirectional`` the backward
    direction's final state (which has read the whole window, back to front) joins the forward
    one; both only see the input window, so no target leaks in.

    Args:
        spec: the datamodule's window description.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.
        hidden_size: units per layer and direction.
        num_layers: stacked recurrent layers.
        bidirectional: read the window in both directions.
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
        forward(x): (B, T, F) -> (B, n_ahead * n_targets).
    """

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        cell: str = "gru",
        hidden_size: int = 32,
        num_layers: int = 1,
        bidirectional: bool = False,
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
        self.directions = 2 if bidirectional else 1
        self.rnn = make_recurrent(
            cell,
            self.input_size,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            bidirectional=bidirectional,
            recurrent_dropout=recurrent_dropout,
            layer_norm=layer_norm,
            reset_after=reset_after,
            backend=backend,
        )
        self.head = nn.Linear(self.directions * hidden_size, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        _, state = self.rnn(x)  # out (B, T, D*H) is not needed: only the final state
        return self.head(final_hidden(state, self.directions))  # (B, K*J)
