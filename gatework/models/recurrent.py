"""Recurrent: many-to-one SimpleRNN / LSTM / GRU stacks (configs rnn, lstm, gru)."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent_backend import make_head, make_recurrent
from gatework.models.recurrent_options import RecurrentOptions


def final_hidden(state: Tensor | tuple[Tensor, Tensor] | list, directions: int) -> Tensor:
    """The last layer's final hidden state of every direction, side by side.

    Args:
        state: ``h_n`` (L*D, B, H), or ``(h_n, c_n)`` for LSTM, in torch.nn's layout; or a
            :class:`~gatework.models.layer_stack.LayerStack`'s list of them, one per layer.
        directions: D, 1 or 2.

    Returns:
        (B, D*H): forward direction first, as torch.nn orders ``out``.
    """
    state = state[-1] if isinstance(state, list) else state  # the last layer's
    h_n = state[0] if isinstance(state, tuple) else state  # (L*D, B, H)
    return h_n[-directions:].transpose(0, 1).flatten(1)  # (B, D*H)


class Recurrent(ForecastModule):
    """Recurrent stack over the window, then its final hidden state -> Linear to the forecast.

    ``model=gru model.rnn.num_layers=3`` is a deep GRU. With ``model.rnn.bidirectional`` the
    backward direction's final state (which has read the whole window, back to front) joins the
    forward one; both only see the input window, so no target leaks in.

    Args:
        spec: the datamodule's window description.
        rnn: the recurrent stack (:class:`RecurrentOptions`; a dict is accepted).
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets).
    """

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        rnn: RecurrentOptions | Mapping | None = None,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        options = RecurrentOptions.of(rnn)
        self.directions = options.directions
        self.rnn = make_recurrent(options, self.input_size)
        self.head = make_head(options, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        _, state = self.rnn(x)  # out (B, T, D*H) is not needed: only the final state
        return self.head(final_hidden(state, self.directions))  # (B, K*J)
