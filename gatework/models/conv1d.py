"""Conv1D: Chollet's stack of Conv1D + max pooling, global average pooling, Linear head."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule


class Conv1D(ForecastModule):
    """[Conv1d -> ReLU -> MaxPool] x (num_blocks - 1) -> Conv1d -> ReLU -> mean over time -> Linear.

    After Chollet, *Deep Learning with Python* (2nd ed., §10.2.4). Convolutions use "same"
    padding and pooling rounds up, so any window length of at least one step works. The
    convolutions are not causal, which is fine here: the whole window lies before the targets.

    Args:
        spec: the datamodule's window description.
        filters: channels of every convolution.
        kernel_size: taps per convolution.
        num_blocks: convolutions; a max pooling sits between consecutive ones.
        pool_size: window and stride of each max pooling.
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets).
    """

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        filters: int = 32,
        kernel_size: int = 5,
        num_blocks: int = 3,
        pool_size: int = 2,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        if num_blocks < 1:
            raise ValueError(f"model.num_blocks must be >= 1, got {num_blocks}")
        layers: list[nn.Module] = []
        channels = self.input_size
        for block in range(num_blocks):
            if block > 0:
                layers.append(nn.MaxPool1d(pool_size, ceil_mode=True))
            layers += [nn.Conv1d(channels, filters, kernel_size, padding="same"), nn.ReLU()]
            channels = filters
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(filters, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        h = self.features(x.transpose(1, 2))  # (B, C, T'), T' = T / pool_size^(num_blocks-1)
        return self.head(h.mean(dim=2))  # (B, C) -> (B, K*J)
