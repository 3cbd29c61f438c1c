"""Naive and seasonal naive forecasts and their metrics, against values worked by hand."""

from __future__ import annotations

import math

import lightning as L
import pytest
import torch
from models_testkit import WindowDataModule, make_spec, windows

from gatework.datamodules.spec import SeriesSpec
from gatework.models import Naive, SeasonalNaive

SERIES = torch.tensor([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3]).unsqueeze(1)  # (10, 1), scaled values


def test_naive_metrics_in_original_units(trainer_kwargs):
    # original = scaled * 2 + 10; windows of 3 steps, 2 steps ahead: 6 windows
    x, y = windows(SERIES, input_len=3, n_ahead=2)
    spec = make_spec(SERIES, input_len=3, n_ahead=2, target_mean=(10.0,), target_std=(2.0,))
    metrics = L.Trainer(**trainer_kwargs).test(
        Naive(spec), datamodule=WindowDataModule(x, y, spec, batch_size=4), verbose=False
    )[0]
    # last inputs 4 1 5 9 2 6; truths (1,5) (5,9) (9,2) (2,6) (6,5) (5,3); scaled errors:
    errors_h1 = [3, 4, 4, 7, 4, 1]
    errors_h2 = [1, 8, 3, 3, 3, 3]
    assert metrics["test/mae_h1"] == pytest.approx(2 * 23 / 6)
    assert metrics["test/mae_h2"] == pytest.approx(2 * 21 / 6)
    assert metrics["test/mae"] == pytest.approx(2 * 44 / 12)
    squares = sum(e * e for e in errors_h1 + errors_h2)  # 107 + 101
    assert metrics["test/mse"] == pytest.approx(4 * squares / 12)
    assert metrics["test/rmse"] == pytest.approx(math.sqrt(4 * 208 / 12))
    # MAPE in original units: |error| * 2 / (truth * 2 + 10), truths 12 20 28 14 22 20 | 20 ...
    ape = [6 / 12, 8 / 20, 8 / 28, 14 / 14, 8 / 22, 2 / 20]
    ape += [2 / 20, 16 / 28, 6 / 14, 6 / 22, 6 / 20, 6 / 16]
    assert metrics["test/mape"] == pytest.approx(sum(ape) / 12, rel=1e-5)
    assert metrics["test/loss"] == pytest.approx(208 / 12, rel=1e-5)  # MSE on scaled values


def test_seasonal_naive_repeats_the_last_season_when_n_ahead_exceeds_period():
    x, y = windows(SERIES, input_len=3, n_ahead=3)  # 5 windows
    model = SeasonalNaive(make_spec(SERIES, input_len=3, n_ahead=3), period=2)
    pred = model.forecast(x)
    # step j reads y_{T+j-2*ceil(j/2)}: j=1 -> T-1, j=2 -> T, j=3 -> T-1 (1-based window end T)
    expected = [[1, 4, 1], [4, 1, 4], [1, 5, 1], [5, 9, 5], [9, 2, 9]]
    torch.testing.assert_close(pred, torch.tensor(expected, dtype=torch.float32))
    errors = (pred - y).abs().mean(dim=0)
    torch.testing.assert_close(errors, torch.tensor([15 / 5, 18 / 5, 21 / 5]))


def test_seasonal_naive_with_horizon():
    # horizon 3, period 2: the target step T+3 reads T+3-4 = T-1, the second-last input
    spec = make_spec(SERIES, input_len=3, n_ahead=1, horizon=3)
    x, _ = windows(SERIES, input_len=3, n_ahead=1, horizon=3)
    torch.testing.assert_close(SeasonalNaive(spec, period=2).forecast(x)[:, 0], x[:, 1, 0])
    torch.testing.assert_close(Naive(spec).forecast(x)[:, 0], x[:, 2, 0])


def test_naive_in_sequence_mode_forecasts_from_every_step():
    x, y = windows(SERIES, input_len=4, n_ahead=2, mode="sequence")
    spec = make_spec(SERIES, input_len=4, n_ahead=2, target_mode="sequence")
    pred = Naive(spec).forecast(x)  # (W, T, 2)
    torch.testing.assert_close(pred, x.repeat(1, 1, 2))
    assert pred.shape == y.shape


def test_naive_reads_each_targets_own_input_column():
    spec = SeriesSpec(input_len=2, n_inputs=3, n_targets=2, n_ahead=2, target_input_index=(2, 0))
    x = torch.arange(6.0).view(1, 2, 3)  # last step: columns (3, 4, 5)
    torch.testing.assert_close(Naive(spec).forecast(x), torch.tensor([[5.0, 3, 5, 3]]))


def test_baseline_errors_name_the_fix():
    spec = SeriesSpec(input_len=5, n_inputs=1, n_targets=1, n_ahead=1, target_names=("rides",))
    with pytest.raises(ValueError, match=r"targets \['rides'\] are not input columns"):
        Naive(spec)
    spec = make_spec(SERIES, input_len=5, n_ahead=1)
    with pytest.raises(ValueError, match=r"period must be in \[1, input_len=5\], got 7"):
        SeasonalNaive(spec, period=7)
    with pytest.raises(ValueError, match="has no parameters to fit"):
        Naive(spec).configure_optimizers()
