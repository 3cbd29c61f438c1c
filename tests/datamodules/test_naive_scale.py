"""MASE's scale: the in-sample seasonal naive MAE, measured on the training windows."""

from __future__ import annotations

import lightning as L
import numpy as np
import pandas as pd
import pytest

from gatework.datamodules import CSVDataModule
from gatework.models import Naive, SeasonalNaive

DAYS = pd.date_range("2020-01-06", periods=140, freq="D")


def weekly_csv(tmp_path):
    """A weekly season (a, 2a, ..., 7a) plus noise and a slow trend, on 140 days."""
    rng = np.random.default_rng(0)
    t = np.arange(len(DAYS))
    y = 100 + 10 * (t % 7) + 0.3 * t + rng.normal(0, 2, len(t))
    path = tmp_path / "weekly.csv"
    pd.DataFrame({"day": DAYS.strftime("%Y-%m-%d"), "y": y}).to_csv(path, index=False)
    return path, y


def weekly_module(path, **options):
    options = {"time_column": "day", "targets": ["y"], "input_len": 14, "period": 7, **options}
    return CSVDataModule(path=str(path), splits=[70, 35, 35], **options)


@pytest.mark.parametrize("n_ahead", [1, 3])
def test_seasonal_naive_scores_a_mase_of_one_on_its_own_training_split(tmp_path, n_ahead):
    path, _ = weekly_csv(tmp_path)
    dm = weekly_module(path, n_ahead=n_ahead)
    dm.setup()
    trainer = L.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    on_train = dm._loader("train", shuffle=False)
    metrics = trainer.test(SeasonalNaive(dm.spec, period=7), on_train, verbose=False)[0]
    assert metrics["test/mase"] == pytest.approx(1.0, abs=1e-6)
    naive = trainer.test(Naive(dm.spec), on_train, verbose=False)[0]
    assert naive["test/mase"] > 2  # a weekly season: last week beats yesterday by far


def test_scale_is_the_lag_period_error_over_the_training_targets(tmp_path):
    path, y = weekly_csv(tmp_path)
    dm = weekly_module(path, scale=True)  # the scale is in original units all the same
    dm.setup()
    targets = np.arange(14, 70)  # the first target follows 14 input days; train is rows 0..69
    expected = np.abs(y[targets] - y[targets - 7]).mean()
    assert dm.spec.mase_scale == pytest.approx((expected,))


def test_period_longer_than_the_window_reach_is_refused(tmp_path):
    path, _ = weekly_csv(tmp_path)
    with pytest.raises(ValueError, match=r"data.period must be in \[1, .* = 5\] .* got 7"):
        weekly_module(path, input_len=5, period=7, horizon=1).setup()
