"""Linear: one affine map from the flattened window to every forecast step."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule


class Linear(ForecastModule):
    """``ŷ = W · vec(x) + b``: the linear autoregression over the whole input window.

    Args:
        spec: the datamodule's window description.
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets).
    """

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        self.head = nn.Linear(self.spec.input_len * self.input_size, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(x.flatten(1))  # (B, T*F) -> (B, K*J)
