"""Prediction intervals: split-conformal coverage by construction, and 80% bands on known noise."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest
import torch
from test_train import compose_fast, train

from gatework.datamodules import CSVDataModule
from gatework.models import Linear
from gatework.training.forecasts import collect_forecasts
from gatework.training.intervals import ConformalIntervals, conformal_metrics

SIGMA = 0.5  # the noise around the sine
Z80 = 1.2816  # the 0.9 quantile of the standard normal: an 80% band is ±Z80·σ wide


@pytest.mark.parametrize("n", [9, 19, 50])
@pytest.mark.parametrize("noise", ["normal", "cauchy"])
@pytest.mark.parametrize("band", ["point", "quantiles"])
def test_conformal_coverage_holds_by_construction_on_exchangeable_data(n, noise, band):
    """n calibration and 4 test windows, i.i.d.: each test window lies inside with probability
    ⌈(n + 1) c⌉ / (n + 1) >= c, whatever the distribution (checked over 20,000 repetitions,
    each repetition one column)."""
    gen = torch.Generator().manual_seed(n)
    truth = torch.randn(n + 4, 20_000, generator=gen)  # (windows, repetitions)
    if noise == "cauchy":  # heavy tails: no mean, no variance, the guarantee all the same
        truth = torch.tan(torch.pi * (torch.rand(n + 4, 20_000, generator=gen) - 0.5))
    forecast = torch.zeros(n + 4, 20_000, 1)
    if band == "quantiles":  # a band that is too narrow: conformal widens it
        forecast = torch.stack([torch.full_like(truth, -0.3), torch.full_like(truth, 0.3)], -1)
    conformal = ConformalIntervals(0.8).calibrate(forecast[:n], truth[:n])
    lower, upper = conformal.band(forecast[n:])
    covered = ((truth[n:] >= lower) & (truth[n:] <= upper)).float().mean().item()
    expected = math.ceil((n + 1) * 0.8) / (n + 1)
    assert expected >= 0.8
    assert covered == pytest.approx(expected, abs=0.01)  # 5 standard errors


def test_radius_is_the_ceil_n_plus_one_c_th_smallest_score():
    truth = torch.arange(1.0, 11.0).unsqueeze(1)  # scores 1..10 against a zero forecast
    conformal = ConformalIntervals(0.8).calibrate(torch.zeros(10, 1, 1), truth)
    assert conformal.radius.tolist() == [9.0]  # ⌈11 · 0.8⌉ = 9
    lower, upper = conformal.band(torch.tensor([[[2.0]]]))
    assert (lower.item(), upper.item()) == (-7.0, 11.0)
    forecast, truth = torch.zeros(2, 1, 1), torch.tensor([[5.0], [10.0]])
    scores = conformal.score(forecast, truth, forecast[..., 0])
    assert scores["conformal_coverage"] == 0.5 and scores["conformal_width"] == 18.0


def test_too_few_calibration_windows_give_unbounded_intervals_and_say_so(caplog):
    with caplog.at_level(logging.WARNING):
        conformal = ConformalIntervals(0.95).calibrate(torch.zeros(10, 2, 1), torch.ones(10, 2))
    assert torch.isinf(conformal.radius).all()
    message = "eval.intervals.coverage=0.95 needs at least 19 validation windows, got 10"
    assert message in caplog.text
    with pytest.raises(ValueError, match=r"eval.intervals.coverage must be in \(0, 1\)"):
        ConformalIntervals(80)


def noisy_sine_csv(tmp_path, n: int = 6000):
    """2 sin(2πt/24) + N(0, σ²): an exact 80% band is the forecast ± 1.2816 σ."""
    t = np.arange(n)
    y = 2 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(1).normal(0, SIGMA, n)
    path = tmp_path / "noisy_sine.csv"
    pd.DataFrame({"y": y}).to_csv(path, index=False)
    return path


def sine_overrides(path) -> tuple[str, ...]:
    return (
        "data=csv",
        f"data.path={path}",
        "data.targets=[y]",
        "data.input_len=48",
        "data.batch_size=256",
        "data.period=24",
        "model.optimizer.lr=0.01",
        "trainer.max_epochs=10",
        "callbacks.early_stopping.patience=10",
        "eval.intervals.coverage=0.8",
    )


@pytest.mark.parametrize("loss", ["quantile", "mse"])
def test_80_percent_intervals_cover_75_to_85_percent_of_a_noisy_sine(tmp_path, loss):
    path = noisy_sine_csv(tmp_path)
    options = ["model=linear", *sine_overrides(path), "~trainer.limit_train_batches"]
    if loss == "quantile":
        options += ["model.loss=quantile", "model.quantiles=[0.1,0.5,0.9]"]
    metrics = train(compose_fast(tmp_path, *options, data=()))
    bands = ["conformal_"] + ([""] if loss == "quantile" else [])
    for band in bands:
        assert 0.75 <= metrics[f"test/{band}coverage"] <= 0.85, band
        # the exact band is 2·1.2816·σ = 1.28 wide; the model's own error adds a little
        assert 2 * Z80 * SIGMA <= metrics[f"test/{band}width"] <= 1.15 * 2 * Z80 * SIGMA, band
    assert metrics["test/naive_conformal_width"] > metrics["test/conformal_width"]


def test_the_forecast_plot_gets_the_conformal_band_or_the_quantile_band(tmp_path):
    dm = CSVDataModule(path=str(noisy_sine_csv(tmp_path, 600)), targets=["y"], input_len=24)
    dm.setup()
    model = Linear(dm.spec)
    conformal, metrics = conformal_metrics(model, dm.datasets, 0.8)
    assert metrics["val/conformal_coverage"] >= 0.8  # by construction, on its own windows
    windows = collect_forecasts(model, None, dm, 3, conformal=conformal)
    radius = conformal.radius.item()
    np.testing.assert_allclose(windows["upper"] - windows["forecast"], radius, rtol=1e-5)
    np.testing.assert_allclose(windows["forecast"] - windows["lower"], radius, rtol=1e-5)
    assert windows["band_label"] == "80% conformal interval"
    quantile = Linear(dm.spec, loss="quantile", quantiles=[0.05, 0.5, 0.95])
    windows = collect_forecasts(quantile, None, dm, 3)
    assert (windows["lower"] <= windows["forecast"]).all()
    assert (windows["forecast"] <= windows["upper"]).all()
    assert windows["band_label"] == "quantiles 0.05 .. 0.95"
    assert "lower" not in collect_forecasts(model, None, dm, 3)  # a point forecast: no band


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gru", "conv1d", "wavenet"])
def test_intervals_of_recurrent_and_convolutional_quantile_models_on_a_noisy_sine(tmp_path, name):
    path = noisy_sine_csv(tmp_path)
    options = [f"model={name}", *sine_overrides(path), "~trainer.limit_train_batches"]
    options += ["model.loss=quantile", "model.quantiles=[0.1,0.5,0.9]", "trainer.max_epochs=15"]
    metrics = train(compose_fast(tmp_path, *options, "model.optimizer.lr=0.003", data=()))
    assert 0.75 <= metrics["test/conformal_coverage"] <= 0.85  # calibrated on validation
    # the levels alone are only as good as the fit (measured 0.80 gru, 0.84 conv1d, 0.75 wavenet)
    assert 0.70 <= metrics["test/coverage"] <= 0.90
