"""Forecasts of a few test windows in original units, ready to plot."""

from __future__ import annotations

import numpy as np
import torch
from lightning import LightningDataModule, LightningModule

from gatework.datamodules import SeriesSpec


def _last_step(y: torch.Tensor, spec: SeriesSpec) -> torch.Tensor:
    """(B, n_ahead, n_targets) from vector (B, K*J) or sequence (B, T, K*J) targets."""
    if spec.target_mode == "sequence":
        y = y[:, -1]  # the forecast made at the last input step
    return y.reshape(y.shape[0], spec.n_ahead, spec.n_targets)


@torch.no_grad()
def collect_forecasts(
    model: LightningModule,
    baseline: LightningModule,
    dm: LightningDataModule,
    n_windows: int,
    target: int = 0,
) -> dict[str, np.ndarray]:
    """Run ``model`` and ``baseline`` on evenly spaced test windows and unscale everything.

    Args:
        model: the trained forecaster, called as ``model(x)`` (``model(x, x_future)`` when the
            data has known-future covariates), returning scaled forecasts shaped like ``y``.
        baseline: the naive forecaster, called the same way.
        dm: the datamodule, already set up for ``"test"``.
        n_windows: how many windows to take, spread over the test split.
        target: which target column to return.

    Returns:
        ``history`` (N, T): the target's past values (NaN when it is not an input);
        ``truth``, ``forecast``, ``naive``: (N, n_ahead), all in original units.
    """
    spec: SeriesSpec = dm.spec
    dataset = dm.test_dataloader().dataset
    picks = np.linspace(0, len(dataset) - 1, num=min(n_windows, len(dataset))).astype(int)
    batch = torch.utils.data.default_collate([dataset[int(i)] for i in picks])
    x, y = batch[0], batch[1]  # (N, T, F), vector or sequence targets
    inputs = [t.to(model.device) for t in (batch[0], *batch[2:])]  # x and x_future
    was_training = model.training
    model.eval()
    forecast = model(*inputs).cpu()
    model.train(was_training)
    naive = baseline(*(t.cpu() for t in inputs))
    mean, std = spec.target_mean[target], spec.target_std[target]

    def unscale(values: torch.Tensor) -> np.ndarray:
        return (_last_step(values, spec)[:, :, target] * std + mean).numpy()

    column = spec.target_input_index[target]
    history = np.full(x.shape[:2], np.nan)  # (N, T)
    if column is not None:
        history = (x[:, :, column] * std + mean).numpy()
    return {
        "history": history,
        "truth": unscale(y),
        "forecast": unscale(forecast),
        "naive": unscale(naive),
    }
