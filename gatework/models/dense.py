"""Dense: a multilayer perceptron on the flattened window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule


class Dense(ForecastModule):
    """Flattened window -> [Linear -> ReLU] per hidden size -> Linear to every forecast step.

    Args:
        spec: the datamodule's window description.
        hidden_sizes: units of each hidden layer, in order (empty: the linear model).
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets).
    """

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        hidden_sizes: Sequence[int] = (32,),
        **common,
    ) -> None:
        super().__init__(spec, **common)
        sizes = [self.spec.input_len * self.input_size, *hidden_sizes]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], self.output_size))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x.flatten(1))  # (B, T*F) -> (B, K*J)
