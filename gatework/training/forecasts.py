"""Forecasts of windows in original units: a whole split in large batches, or a few to plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from lightning import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from gatework.datamodules.windows import collate_batch
from gatework.models.evaluation_mode import evaluation_mode

if TYPE_CHECKING:
    from gatework.models import ForecastModule
    from gatework.training.intervals import ConformalIntervals


@torch.no_grad()
def window_quantiles(model: ForecastModule, x: Tensor, x_future: Tensor | None = None) -> Tensor:
    """Every quantile level of a batch of scaled windows, in original units, on the CPU.

    Args:
        model: the forecaster (put in eval mode for the call, then restored).
        x: (B, T, F) scaled input windows; ``x_future`` the known-future inputs, or None.

    Returns:
        (B, n_ahead * n_targets, Q), increasing (Q = 1 for a point forecast;
        ``model.point(quantiles)`` is the forecast), for the last input step.
    """
    device = model.device
    future = None if x_future is None else x_future.to(device)
    with evaluation_mode(model):
        quantiles = model.quantile_forecast(x.to(device), future)
    return model.quantiles_to_original(model.last_step(quantiles)).cpu()  # (B, K*J, Q)


@torch.no_grad()
def batch_forecasts(model: ForecastModule, batch: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Every quantile level and the truth of one batch, in original units, on the CPU.

    Args:
        model: the forecaster.
        batch: ``(x, y)`` or ``(x, y, x_future)``, as the datamodules serve them.

    Returns:
        ``quantiles`` as :func:`window_quantiles` and ``truth`` (B, n_ahead * n_targets), both
        for the last input step.
    """
    x, y, x_future = batch[0], batch[1], (batch[2] if len(batch) > 2 else None)
    quantiles = window_quantiles(model, x, x_future)  # (B, K*J, Q)
    truth = model.to_original(model.last_step(y.to(model.device))).cpu()  # (B, K*J)
    return quantiles, truth


def split_forecasts(
    model: ForecastModule, windows: Dataset, batch_size: int = 1024
) -> tuple[Tensor, Tensor]:
    """:func:`batch_forecasts` over every window of a split, a large batch at a time.

    Args:
        model: the forecaster.
        windows: a split's :class:`~gatework.datamodules.windows.WindowDataset`.
        batch_size: windows per forward pass.

    Returns:
        ``quantiles`` (N, n_ahead * n_targets, Q) and ``truth`` (N, n_ahead * n_targets).
    """
    loader = DataLoader(windows, batch_size=batch_size, collate_fn=collate_batch)
    parts = [batch_forecasts(model, batch) for batch in loader]
    return torch.cat([q for q, _ in parts]), torch.cat([t for _, t in parts])


def collect_forecasts(
    model: ForecastModule,
    baseline: ForecastModule | None,
    dm: LightningDataModule,
    n_windows: int,
    target: int = 0,
    conformal: ConformalIntervals | None = None,
) -> dict[str, np.ndarray | str]:
    """Run ``model`` and ``baseline`` on evenly spaced test windows, in original units.

    Args:
        model: the trained forecaster.
        baseline: the naive forecaster, or None.
        dm: the datamodule, already set up for ``"test"``.
        n_windows: how many windows to take, spread over the test split.
        target: which target column to return.
        conformal: the model's conformal intervals, drawn as its band; without them a quantile
            model's outermost levels are.

    Returns:
        ``history`` (N, T): the target's past values (NaN when it is not an input column);
        ``truth``, ``forecast`` and, with a baseline, ``naive``: (N, n_ahead); ``lower`` and
        ``upper`` (N, n_ahead) and ``band_label`` when the model has a band.
    """
    spec = dm.spec
    dataset = dm.test_dataloader().dataset
    picks = np.linspace(0, len(dataset) - 1, num=min(n_windows, len(dataset))).round()
    batch = torch.utils.data.default_collate([dataset[int(i)] for i in picks])
    x = batch[0]  # (N, T, F)
    mean, std = spec.target_mean[target], spec.target_std[target]

    def one_target(values: Tensor) -> np.ndarray:  # (N, K*J) -> (N, K), the chosen target
        return values.reshape(len(x), spec.n_ahead, spec.n_targets)[:, :, target].numpy()

    quantiles, truth = batch_forecasts(model, batch)
    out = {
        "history": np.full(x.shape[:2], np.nan),  # (N, T)
        "truth": one_target(truth),
        "forecast": one_target(model.point(quantiles)),
    }
    if conformal is not None:
        lower, upper = conformal.band(quantiles)
        out |= {"lower": one_target(lower), "upper": one_target(upper)}
        out["band_label"] = f"{conformal.coverage:.0%} conformal interval"
    elif quantiles.shape[-1] > 1:
        out |= {"lower": one_target(quantiles[..., 0]), "upper": one_target(quantiles[..., -1])}
        out["band_label"] = f"quantiles {model.levels[0]:g} .. {model.levels[-1]:g}"
    column = spec.target_input_index[target]
    if column is not None:  # the datamodule scales a target and its input column alike
        out["history"] = (x[:, :, column] * std + mean).numpy()
    if baseline is not None:
        out["naive"] = one_target(baseline.point(batch_forecasts(baseline, batch)[0]))
    return out
