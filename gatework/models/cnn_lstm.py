"""CNN-LSTM: a causal Conv1D feature extractor, then an LSTM, then a Linear head."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.causal_conv import CausalConv1d
from gatework.models.recurrent import final_hidden
from gatework.models.recurrent_backend import make_head, make_recurrent
from gatework.models.recurrent_options import RecurrentOptions


class CNNLSTM(ForecastModule):
    """CausalConv1d -> ReLU -> LSTM -> Linear.

    The convolution extracts local patterns of ``kernel_size`` steps without reading ahead,
    and the LSTM carries them across the window. Being causal end to end, the model serves
    ``vector`` targets (head on the final hidden state) and ``sequence`` targets (head on the
    LSTM output of every step).

    Args:
        spec: the datamodule's window description.
        filters: channels of the convolution.
        kernel_size: taps of the convolution.
        rnn: the recurrent stack (:class:`RecurrentOptions`; a dict is accepted), an LSTM in
            ``configs/model/cnn_lstm.yaml``.
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets), or (B, T, n_ahead * n_targets)
        for sequence targets.
    """

    target_modes = ("vector", "sequence")

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        filters: int = 32,
        kernel_size: int = 3,
        rnn: RecurrentOptions | Mapping | None = None,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        self.conv = CausalConv1d(self.input_size, filters, kernel_size)
        options = RecurrentOptions.of(rnn)
        if self.spec.target_mode == "sequence":
            options = options.unidirectional(type(self).__name__)
        self.directions = options.directions
        self.lstm = make_recurrent(options, filters)
        self.head = make_head(options, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv(x.transpose(1, 2)).relu().transpose(1, 2)  # (B, T, C)
        out, state = self.lstm(h)  # (B, T, H)
        if self.spec.target_mode == "sequence":
            return self.head(out)  # (B, T, K*J)
        return self.head(final_hidden(state, self.directions))  # (B, K*J)
