"""Baselines without training: the naive and seasonal naive forecasts."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule


class SeasonalNaive(ForecastModule):
    """Forecasts each step with the last observed value one season earlier.

    For the step ``j = horizon + k`` after the last input step (``k = 0 .. n_ahead-1``):

        ŷ_{T+j} = y_{T+j - p·⌈j/p⌉}

    i.e. the most recent input step at a whole number of periods ``p`` before the target step,
    so ``n_ahead > p`` repeats the last observed season. The input column of each target
    (``spec.target_input_index``) is read as is, so the datamodule must scale a target and its
    input column alike. For ``sequence`` targets the same rule runs from every input step;
    steps that would reach before the window start use its first step.

    Args:
        spec: the datamodule's window description.
        period: season length ``p`` in sampled steps (e.g. 7 for weekly on daily data).
        **common: what every model takes (see :class:`~gatework.models.base.ForecastModule`);
            ``loss`` is reported as ``val/loss``, the others leave the forecast unchanged.
    """

    target_modes = ("vector", "sequence")
    trainable = False

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        period: int = 7,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        spec = self.spec
        names = spec.target_names or tuple(range(spec.n_targets))
        missing = [n for n, i in zip(names, spec.target_input_index, strict=True) if i is None]
        if missing:
            raise ValueError(
                f"{type(self).__name__} reads each target's own past, but targets {missing} are "
                "not input columns (spec.target_input_index is None): add them to the inputs"
            )
        if not 1 <= period <= spec.input_len:
            raise ValueError(
                f"model.period must be in [1, input_len={spec.input_len}], got {period}: "
                "lengthen data.input_len or shorten the period"
            )
        steps = spec.horizon + torch.arange(spec.n_ahead)  # j = horizon + k, (K,)
        offset = steps - period * torch.ceil(steps / period).long()  # in (-p, 0], (K,)
        self.register_buffer("offset", offset, persistent=False)
        self.register_buffer(
            "columns", torch.tensor(spec.target_input_index), persistent=False
        )  # (J,)

    def forward(self, x: Tensor) -> Tensor:
        B, T, _ = x.shape
        K, J = self.spec.n_ahead, self.spec.n_targets
        origin = torch.arange(T, device=x.device)  # forecast origins t = 0 .. T-1
        rows = (origin[:, None] + self.offset[None, :]).clamp(min=0)  # (T, K)
        values = x[:, :, self.columns]  # (B, T, J)
        pred = values[:, rows]  # (B, T, K, J)
        pred = pred.reshape(B, T, K * J)  # step-major
        return pred if self.spec.target_mode == "sequence" else pred[:, -1]


class Naive(SeasonalNaive):
    """Repeats the last observed value of each target for every forecast step.

    ``ŷ_{T+j} = y_T`` for every ``j``: the seasonal naive forecast with period 1.

    Args:
        spec: the datamodule's window description.
        **common: what every model takes (see :class:`~gatework.models.base.ForecastModule`);
            ``loss`` is reported as ``val/loss``, the others leave the forecast unchanged.
    """

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        **common,
    ) -> None:
        super().__init__(spec, period=1, **common)
