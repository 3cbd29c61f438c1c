"""IterativeForecaster: multi-step forecasts from a one-step model, fed its own predictions."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule


class IterativeForecaster(ForecastModule):
    """Rolls a trained one-step model forward: each prediction becomes the next input step.

    For ``s = 1 .. horizon + n_ahead - 1``: predict step ``T + s`` from the current window,
    drop the window's first step and append the prediction as its last. The forecasts of steps
    ``T + horizon .. T + horizon + n_ahead - 1`` are returned, so the wrapper is evaluated with
    the usual metrics (``trainer.test``) on a datamodule built with the larger ``n_ahead``.
    A prediction can only be fed back when every input column is a target, and the datamodule
    must scale a target and its input column alike (one scaler per column does).

    Args:
        model: a trained model with ``n_ahead = 1`` and ``horizon = 1``.
        spec: the evaluation datamodule's spec (same columns, any ``n_ahead`` and ``horizon``).

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets).
    """

    trainable = False

    def __init__(self, model: ForecastModule, spec: SeriesSpec | Mapping) -> None:
        loss, quantiles = model.hparams.get("loss", "mse"), model.hparams.get("quantiles")
        super().__init__(spec, loss=loss, quantiles=quantiles)  # rolls the median forward
        one, spec = model.spec, self.spec
        if one.n_ahead != 1 or one.horizon != 1:
            raise ValueError(
                "eval.iterative needs a one-step model (data.n_ahead=1, data.horizon=1 in "
                f"training), got n_ahead={one.n_ahead}, horizon={one.horizon}"
            )
        if one.input_len != spec.input_len:
            raise ValueError(
                f"the model was trained on windows of input_len={one.input_len}, the evaluation "
                f"data has input_len={spec.input_len}: build it with data.input_len="
                f"{one.input_len}"
            )
        if one.n_future:
            raise ValueError("eval.iterative does not support known-future covariates (n_future)")
        columns = spec.target_input_index
        if None in columns:
            names = spec.target_names or tuple(range(spec.n_targets))
            missing = [n for n, i in zip(names, columns, strict=True) if i is None]
            raise ValueError(
                "eval.iterative feeds each prediction back as the next input, so every target "
                f"must be an input column: targets {missing} are not among the inputs "
                f"{list(spec.input_names) or spec.n_inputs}; add them to data.inputs"
            )
        if sorted(i for i in columns if i is not None) != list(range(spec.n_inputs)):
            raise ValueError(
                "eval.iterative feeds each prediction back as the next input, so every input "
                f"column must be a target: inputs {list(spec.input_names) or spec.n_inputs}, "
                f"target columns {list(columns)}; use only target columns as inputs"
            )
        if (one.n_inputs, one.n_targets, one.target_input_index) != (
            spec.n_inputs,
            spec.n_targets,
            columns,
        ):
            raise ValueError(
                f"the model was trained on {one.n_inputs} inputs / {one.n_targets} targets "
                f"(target columns {one.target_input_index}), the evaluation data has "
                f"{spec.n_inputs} / {spec.n_targets} ({columns}): build it with the same columns"
            )
        self.model = model
        # order[c] = the target predicted for input column c
        order = sorted(range(spec.n_targets), key=lambda j: columns[j])
        self.register_buffer("order", torch.tensor(order), persistent=False)  # (F,)

    def forward(self, x: Tensor) -> Tensor:
        K = self.spec.n_ahead
        window, steps = x, []
        for _ in range(self.spec.horizon + K - 1):
            step = self.model.last_step(self.model.forecast(window))  # (B, J)
            steps.append(step)
            row = step[:, self.order].unsqueeze(1)  # (B, 1, F): targets back in column order
            window = torch.cat([window[:, 1:], row], dim=1)  # (B, T, F)
        return torch.stack(steps[-K:], dim=1).flatten(1)  # (B, K, J) -> (B, K*J)
