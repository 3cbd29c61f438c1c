"""Linear: one affine map from the flattened window to every forecast step."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule


class Linear(ForecastModule):
    """``ŷ = W · vec(x) + b``: the linear autoregression over the whole input window.

    Args:
        spec: the datamodule's window description.
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
        loss: str = "mse",
        optimizer: Callable | None = None,
        time2vec: int = 0,
        quantiles: Sequence[float] | None = None,
    ) -> None:
        super().__init__(
            spec, loss=loss, optimizer=optimizer, time2vec=time2vec, quantiles=quantiles
        )
        self.head = nn.Linear(self.spec.input_len * self.input_size, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(x.flatten(1))  # (B, T*F) -> (B, K*J)
