"""Forecasts of a few test windows in original units, ready to plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from lightning import LightningDataModule

if TYPE_CHECKING:
    from gatework.models import ForecastModule


@torch.no_grad()
def _forecast(model: ForecastModule, batch: list[torch.Tensor], target: int) -> np.ndarray:
    """(N, n_ahead) original-unit forecast of one target from the last input step."""
    x, x_future = batch[0], (batch[2] if len(batch) > 2 else None)
    was_training = model.training
    model.eval()
    device = model.device
    pred = model.forecast(x.to(device), None if x_future is None else x_future.to(device))
    model.train(was_training)
    pred = model.to_original(model.last_step(pred)).cpu()  # (N, K*J)
    return pred.view(len(x), model.spec.n_ahead, model.spec.n_targets)[:, :, target].numpy()


def collect_forecasts(
    model: ForecastModule,
    baseline: ForecastModule | None,
    dm: LightningDataModule,
    n_windows: int,
    target: int = 0,
) -> dict[str, np.ndarray]:
    """Run ``model`` and ``baseline`` on evenly spaced test windows, in original units.

    Args:
        model: the trained forecaster.
        baseline: the naive forecaster, or None.
        dm: the datamodule, already set up for ``"test"``.
        n_windows: how many windows to take, spread over the test split.
        target: which target column to return.

    Returns:
        ``history`` (N, T): the target's past values (NaN when it is not an input column);
        ``truth``, ``forecast`` and, with a baseline, ``naive``: (N, n_ahead).
    """
    spec = dm.spec
    dataset = dm.test_dataloader().dataset
    picks = np.linspace(0, len(dataset) - 1, num=min(n_windows, len(dataset))).round()
    batch = torch.utils.data.default_collate([dataset[int(i)] for i in picks])
    x, y = batch[0], batch[1]  # (N, T, F); (N, K*J) or (N, T, K*J)
    mean, std = spec.target_mean[target], spec.target_std[target]
    truth = model.to_original(model.last_step(y.to(model.device))).cpu()  # (N, K*J)
    out = {
        "history": np.full(x.shape[:2], np.nan),  # (N, T)
        "truth": truth.view(len(x), spec.n_ahead, spec.n_targets)[:, :, target].numpy(),
        "forecast": _forecast(model, batch, target),
    }
    column = spec.target_input_index[target]
    if column is not None:  # the datamodule scales a target and its input column alike
        out["history"] = (x[:, :, column] * std + mean).numpy()
    if baseline is not None:
        out["naive"] = _forecast(baseline, batch, target)
    return out
