"""Seq2Seq: a recurrent stack that forecasts the next n_ahead values at every time step."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent_backend import make_head, make_recurrent
from gatework.models.recurrent_options import RecurrentOptions


class Seq2Seq(ForecastModule):
    """Recurrent stack returning every step -> per-step Linear -> n_ahead values per step.

    Trained on ``sequence`` targets: row ``t`` of the output forecasts the ``n_ahead`` steps
    after input step ``t``, so every step gives a training signal (Géron's sequence-to-sequence
    RNN). Evaluation reads the last step. The stack is unidirectional: a backward direction
    would let step ``t`` read inputs after ``t``, i.e. its own targets.

    Args:
        spec: the datamodule's window description (``target_mode="sequence"``).
        rnn: the recurrent stack (:class:`RecurrentOptions`; a dict is accepted).
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, T, n_ahead * n_targets).
    """

    target_modes = ("sequence",)

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        rnn: RecurrentOptions | Mapping | None = None,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        options = RecurrentOptions.of(rnn).unidirectional(type(self).__name__)
        self.rnn = make_recurrent(options, self.input_size)
        self.head = make_head(options, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return self.head(out)  # (B, T, K*J)
