"""Forecast metrics in original units (MAE, MSE, RMSE, MASE, sMAPE, MAPE, MAE per horizon step
and per target) and on the scaled values (MAE and MSE divided by each target's scale)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torchmetrics import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    Metric,
    MetricCollection,
    SymmetricMeanAbsolutePercentageError,
)

from gatework.datamodules.spec import SeriesSpec
from gatework.models.quantile import IntervalCoverage, MeanPinballLoss
from gatework.models.relative_errors import CrossesZero, MeanAbsoluteScaledError


class HorizonMAE(Metric):
    """Mean absolute error of each forecast step, averaged over windows and targets.

    Args:
        n_ahead: forecast steps per window.
        n_targets: target columns per step.

    Shape:
        preds, target: (B, n_ahead * n_targets), step-major.
        compute(): (n_ahead,), entry ``k`` is the MAE at ``horizon + k`` steps ahead.
    """

    full_state_update = False

    def __init__(self, n_ahead: int, n_targets: int) -> None:
        super().__init__()
        self.n_ahead, self.n_targets = n_ahead, n_targets
        self.add_state("abs_error", default=torch.zeros(n_ahead), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        error = (preds - target).abs().view(-1, self.n_ahead, self.n_targets)  # (B, K, J)
        self.abs_error += error.sum(dim=(0, 2))  # (K,)
        self.count += error.shape[0] * self.n_targets

    def compute(self) -> Tensor:
        return self.abs_error / self.count


class TargetErrors(Metric):
    """Absolute and squared errors summed per target column, over windows and forecast steps.

    Args:
        n_targets: J, target columns per step.

    Shape:
        preds, target: (B, n_ahead * n_targets), step-major.
        compute(): ``{"abs": (J,), "sq": (J,)}``, the mean absolute and squared error of each
        target.
    """

    full_state_update = False

    def __init__(self, n_targets: int) -> None:
        super().__init__()
        self.n_targets = n_targets
        self.add_state("abs_error", default=torch.zeros(n_targets), dist_reduce_fx="sum")
        self.add_state("sq_error", default=torch.zeros(n_targets), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        error = (preds - target).view(-1, self.n_targets)  # (B*K, J)
        self.abs_error += error.abs().sum(dim=0)
        self.sq_error += error.square().sum(dim=0)
        self.count += error.shape[0]

    def compute(self) -> dict[str, Tensor]:
        return {"abs": self.abs_error / self.count, "sq": self.sq_error / self.count}


class ForecastMetrics(nn.Module):
    """The metrics of one split (train, val or test), on forecasts in original units.

    Keys of :meth:`compute`: ``mae``, ``mse``, ``rmse``, ``smape`` (``2|e| / (|y| + |ŷ|)``, in
    [0, 2]), ``mape`` (a fraction, not a percentage, as torchmetrics computes both),
    ``mape_crosses_zero`` (1.0 when the targets take both signs or a zero: ignore MAPE then),
    ``mase`` when the data gives MASE's scale, ``mae_h1`` ... ``mae_h{n_ahead}`` when
    ``n_ahead > 1`` and, for quantile forecasts, ``pinball`` (the mean pinball loss over the
    levels), ``coverage`` and ``width`` (of the band between the outermost levels).
    ``mae_scaled`` and ``mse_scaled`` are the MAE and MSE divided by each target's scale
    (``target_std``: on the values the model sees, the unit most forecasting papers report);
    with ``n_targets > 1``, ``mae/<target>`` and ``mse/<target>`` are each target's own.

    Args:
        n_ahead: forecast steps per window.
        n_targets: target columns per step.
        mase_scale: per target, the in-sample seasonal naive MAE (``spec.mase_scale``); empty:
            no ``mase``.
        levels: the quantile levels of quantile forecasts; None for point forecasts.
        target_std: each target's scale, original = scaled * std + mean (default 1: the
            scaled metrics equal the original ones).
        target_names: names of the targets in the per-target keys (default ``0``, ``1``, ...).
    """

    def __init__(
        self,
        n_ahead: int,
        n_targets: int,
        mase_scale: Sequence[float] = (),
        levels: Sequence[float] | None = None,
        target_std: Sequence[float] | None = None,
        target_names: Sequence[str] = (),
    ) -> None:
        super().__init__()
        std = torch.ones(n_targets) if target_std is None else torch.tensor(target_std)
        self.register_buffer("target_std", std.float(), persistent=False)  # (J,)
        self.target_names = tuple(target_names) or tuple(str(j) for j in range(n_targets))
        self.per_target = TargetErrors(n_targets)
        overall = {
            "mae": MeanAbsoluteError(),
            "mse": MeanSquaredError(),
            "rmse": MeanSquaredError(squared=False),
            "smape": SymmetricMeanAbsolutePercentageError(),
            "mape": MeanAbsolutePercentageError(),
        }
        if mase_scale:
            overall["mase"] = MeanAbsoluteScaledError(mase_scale)
        self.overall = MetricCollection(overall)
        self.crosses_zero = CrossesZero()
        self.pinball = MeanPinballLoss(levels) if levels else None
        self.band = IntervalCoverage() if levels else None
        self.per_horizon = HorizonMAE(n_ahead, n_targets) if n_ahead > 1 else None
        self.updates = 0  # batches since the last reset

    @classmethod
    def of_spec(cls, spec: SeriesSpec, levels: Sequence[float] | None = None) -> ForecastMetrics:
        """The metrics of a model reading ``spec``'s windows: its horizon, targets (names and
        scales, for the per-target and scaled metrics) and MASE's scale."""
        return cls(
            spec.n_ahead,
            spec.n_targets,
            mase_scale=spec.mase_scale,
            levels=levels,
            target_std=spec.target_std,
            target_names=spec.target_names,
        )

    def update(self, preds: Tensor, target: Tensor, quantiles: Tensor | None = None) -> None:
        """Adds a batch of forecasts and truths, in original units.

        Args:
            preds: the point forecasts. Shape: (B, n_ahead * n_targets).
            target: the truths. Shape: (B, n_ahead * n_targets).
            quantiles: with ``levels``, the forecast of every level, increasing. Shape:
                (B, n_ahead * n_targets, Q).
        """
        preds, target = preds.detach().float(), target.detach().float()
        self.overall.update(preds, target)
        self.crosses_zero.update(target)
        if self.pinball is not None:
            quantiles = quantiles.detach().float()
            self.pinball.update(quantiles, target)
            self.band.update(quantiles[..., 0], quantiles[..., -1], target)
        self.per_target.update(preds, target)
        self.updates += 1
        if self.per_horizon is not None:
            self.per_horizon.update(preds, target)

    def compute(self) -> dict[str, Tensor]:
        """Returns every metric accumulated since the last :meth:`reset`."""
        values = dict(self.overall.compute())
        values["mape_crosses_zero"] = self.crosses_zero.compute()
        if self.pinball is not None:
            values |= {"pinball": self.pinball.compute(), **self.band.compute()}
        errors = self.per_target.compute()
        values["mae_scaled"] = (errors["abs"] / self.target_std).mean()
        values["mse_scaled"] = (errors["sq"] / self.target_std.square()).mean()
        if len(self.target_names) > 1:
            for name, mae, mse in zip(self.target_names, errors["abs"], errors["sq"], strict=True):
                values[f"mae/{name}"], values[f"mse/{name}"] = mae, mse
        if self.per_horizon is not None:
            for k, mae in enumerate(self.per_horizon.compute(), start=1):
                values[f"mae_h{k}"] = mae
        return values

    def reset(self) -> None:
        self.updates = 0
        self.overall.reset()
        self.crosses_zero.reset()
        for metric in (self.pinball, self.band):
            if metric is not None:
                metric.reset()
        self.per_target.reset()
        if self.per_horizon is not None:
            self.per_horizon.reset()
