"""ConvGRU: a strided Conv1D that shortens the window, then GRUs (Géron, ch. 15)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent import final_hidden
from gatework.models.recurrent_backend import make_recurrent
from gatework.models.recurrent_options import RecurrentOptions


class ConvGRU(ForecastModule):
    """Conv1d(stride) -> ReLU -> GRU stack -> final hidden state -> Linear.

    The strided convolution downsamples the window by ``stride`` (length
    ``T' = (T - kernel_size) // stride + 1``), so the GRUs run over fewer, richer steps and
    keep longer patterns in memory. Its last window always ends at the last input step: when
    ``stride`` does not divide ``T - kernel_size``, the ``(T - kernel_size) % stride`` oldest
    steps are left out instead of the most recent ones.

    Args:
        spec: the datamodule's window description.
        filters: channels of the convolution.
        kernel_size: taps of the convolution (at most ``input_len``).
        stride: step of the convolution.
        rnn: the recurrent stack (:class:`RecurrentOptions`; a dict is accepted), two GRUs in
            ``configs/model/conv_gru.yaml``.
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
        filters: int = 32,
        kernel_size: int = 4,
        stride: int = 2,
        rnn: RecurrentOptions | Mapping | None = None,
        loss: str = "mse",
        optimizer: Callable | None = None,
        time2vec: int = 0,
        quantiles: Sequence[float] | None = None,
    ) -> None:
        super().__init__(
            spec, loss=loss, optimizer=optimizer, time2vec=time2vec, quantiles=quantiles
        )
        if stride < 1:
            raise ValueError(f"ConvGRU model.stride must be >= 1, got {stride}")
        if kernel_size > self.spec.input_len:
            raise ValueError(
                f"ConvGRU model.kernel_size={kernel_size} exceeds data.input_len="
                f"{self.spec.input_len}: lower the kernel size or lengthen the window"
            )
        self.conv = nn.Conv1d(self.input_size, filters, kernel_size, stride=stride)
        self.skip = (self.spec.input_len - kernel_size) % stride  # oldest steps no window ends on
        options = RecurrentOptions.of(rnn)
        self.directions = options.directions
        self.gru = make_recurrent(options, filters)
        self.head = nn.Linear(self.directions * options.hidden_size, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, self.skip :]  # (B, T - skip, F): the last strided window ends at step T-1
        h = self.conv(x.transpose(1, 2)).relu().transpose(1, 2)  # (B, T', C)
        _, state = self.gru(h)  # state (L, B, H)
        return self.head(final_hidden(state, self.directions))  # (B, K*J)
