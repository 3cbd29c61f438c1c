"""MASE's denominator: the seasonal naive forecast's error inside the training split.

The mean absolute scaled error (Hyndman & Koehler 2006) divides a forecast's MAE by the MAE of
the in-sample one-step seasonal naive forecast ``ŷ_t = y_{t-m}``. Here "in-sample" means the
training split as the models see it: the target rows of every training window (the targets of
its last input step, as the metrics score them), each compared with the row one season earlier.
So the seasonal naive forecast of period ``m`` scores a MASE of exactly 1 on the training
windows whenever ``horizon + n_ahead - 1 <= m``, and a model with MASE 0.5 halves its error.
"""

from __future__ import annotations

import numpy as np

from gatework.datamodules.windows import WindowDataset


def seasonal_naive_mae(targets: np.ndarray, train: WindowDataset, period: int) -> np.ndarray:
    """Per target, the MAE of ``ŷ_t = y_{t - period}`` over the training windows' target rows.

    Args:
        targets: the target columns in original units, the whole table. Shape: (N, J).
        train: the training windows (their target rows are the ones averaged over).
        period: season length ``m`` in sampled steps (1: the naive forecast).

    Returns:
        The scale of each target, in original units. Shape: (J,).

    Raises:
        ValueError: when a season reaches before the window start, i.e. ``period`` exceeds
            ``input_len - 1 + horizon`` sampled steps.
    """
    geo = train.geometry
    lag = period * geo.sampling_rate  # rows
    reach = geo.input_len - 1 + geo.horizon
    if not 1 <= period <= reach:
        raise ValueError(
            f"data.period must be in [1, input_len - 1 + horizon = {reach}] sampled steps, got "
            f"{period}: the season before a target must lie inside its window"
        )
    rows = train.target_rows(np.arange(len(train)))  # (W, K) or (W, T, K)
    rows = rows[:, -1] if rows.ndim == 3 else rows  # the last input step's targets, (W, K)
    errors = np.abs(targets[rows] - targets[rows - lag])  # (W, K, J)
    return errors.reshape(-1, targets.shape[1]).mean(axis=0)
