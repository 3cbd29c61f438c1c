"""EncoderDecoder: an encoder's final state starts a decoder that emits n_ahead steps."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent_backend import make_head, make_recurrent
from gatework.models.recurrent_options import RecurrentOptions


class EncoderDecoder(ForecastModule):
    """Encoder RNN over the window -> state -> decoder RNN, one target step at a time.

    Decoder step ``k`` reads the previous step's targets (the last observed values for
    ``k = 0``, zeros for targets that are not inputs) and, when the data has them, the
    known-future covariates ``x_future[:, k]`` (e.g. the day type of the target day), then
    a Linear head maps its output to the ``n_targets`` values of step ``k`` (each of them at
    every quantile level with ``loss="quantile"``; the median is fed back). Evaluation is
    autoregressive (each forecast is fed to the next step); in training each step reads
    the true previous targets with probability ``teacher_forcing`` (teacher forcing,
    Williams & Zipser 1989; 0 = always autoregressive, 1 = always the truth).

    Args:
        spec: the datamodule's window description.
        rnn: the encoder's and the decoder's stack alike (:class:`RecurrentOptions`; a dict is
            accepted).
        teacher_forcing: probability of feeding the truth to each training decoder step.
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x, x_future, y_teacher): x (B, T, F), x_future (B, n_ahead, n_future) or None,
        y_teacher (B, n_ahead * n_targets) or None -> (B, n_ahead * n_targets).
    """

    uses_future = True

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        rnn: RecurrentOptions | Mapping | None = None,
        teacher_forcing: float = 0.5,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"model.teacher_forcing must be in [0, 1], got {teacher_forcing}")
        self.teacher_forcing = float(teacher_forcing)
        options = RecurrentOptions.of(rnn).unidirectional(type(self).__name__)
        J = self.spec.n_targets
        self.encoder = make_recurrent(options, self.input_size)
        self.decoder = make_recurrent(options, J + self.spec.n_future)
        self.head = make_head(options, J * self.n_quantiles)  # every level of step k
        index = self.spec.target_input_index
        self.register_buffer(
            "columns", torch.tensor([0 if i is None else i for i in index]), persistent=False
        )  # (J,)
        self.register_buffer(
            "observed", torch.tensor([float(i is not None) for i in index]), persistent=False
        )  # (J,): 1 for targets that are input columns, 0 for the others

    def network_forecast(self, x: Tensor, x_future: Tensor | None, y: Tensor | None) -> Tensor:
        """As the base, plus the true targets for teacher forcing while training."""
        teacher = y if self.training and self.teacher_forcing > 0 else None
        return self(x, x_future, teacher)

    def forward(
        self, x: Tensor, x_future: Tensor | None = None, y_teacher: Tensor | None = None
    ) -> Tensor:
        B, K, J = x.shape[0], self.spec.n_ahead, self.spec.n_targets
        if self.spec.n_future and x_future is None:
            raise ValueError(
                f"EncoderDecoder expects x_future (B, {K}, {self.spec.n_future}) as the data "
                "has known-future covariates (spec.n_future > 0)"
            )
        _, state = self.encoder(x)  # state: (L, B, H), or a pair of them for LSTM
        prev = x[:, -1, self.columns] * self.observed  # (B, J), zeros where not an input
        truth = None if y_teacher is None else y_teacher.view(B, K, J)
        steps = []
        for k in range(K):
            step_in = prev if x_future is None else torch.cat([prev, x_future[:, k]], dim=-1)
            out, state = self.decoder(step_in.unsqueeze(1), state)  # (B, 1, H)
            y_k = self.head(out[:, 0])  # (B, J*Q)
            steps.append(y_k)
            use_truth = truth is not None and torch.rand(()).item() < self.teacher_forcing
            prev = truth[:, k] if use_truth else self.point(self.as_quantiles(y_k))  # (B, J)
        return torch.stack(steps, dim=1).flatten(1)  # (B, K, J*Q) -> (B, K*J*Q), step-major
