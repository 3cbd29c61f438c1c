"""IterativeForecaster: a one-step model fed its own forecasts equals doing it by hand."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from models_testkit import WindowDataModule, build, make_spec, sine, windows

from gatework.datamodules.spec import SeriesSpec
from gatework.models import IterativeForecaster


def two_column_spec(n_ahead: int, horizon: int = 1) -> SeriesSpec:
    # targets (b, a) are the input columns (1, 0): the fed-back row must be re-ordered
    return SeriesSpec(
        input_len=6,
        n_inputs=2,
        n_targets=2,
        n_ahead=n_ahead,
        horizon=horizon,
        target_input_index=(1, 0),
    )


@pytest.mark.parametrize("horizon", [1, 2])
def test_iterative_equals_feeding_back_by_hand(horizon: int):
    model = build("dense", two_column_spec(1)).eval()
    wrapper = IterativeForecaster(model, two_column_spec(3, horizon)).eval()
    x = torch.randn(5, 6, 2)
    with torch.no_grad():
        window, by_hand = x, []
        for _ in range(horizon + 2):
            p = model(window)  # (5, 2): targets (b, a)
            by_hand.append(p)
            next_row = torch.stack([p[:, 1], p[:, 0]], dim=1)  # columns (a, b)
            window = torch.cat([window[:, 1:], next_row.unsqueeze(1)], dim=1)
        expected = torch.stack(by_hand[-3:], dim=1).flatten(1)  # (5, 3*2), step-major
        torch.testing.assert_close(wrapper.forecast(x), expected)


def test_iterative_metrics_start_with_the_one_step_metrics(trainer_kwargs):
    series = sine(120)
    spec1 = make_spec(series, input_len=10, n_ahead=1)
    spec3 = make_spec(series, input_len=10, n_ahead=3)
    model = build("linear", spec1)
    trainer = L.Trainer(**trainer_kwargs)
    x1, y1 = windows(series, 10, 1)
    x3, y3 = windows(series, 10, 3)
    n = len(x3)  # the same window starts for both
    one = trainer.test(model, WindowDataModule(x1[:n], y1[:n], spec1), verbose=False)[0]
    iterative = IterativeForecaster(model, spec3)
    multi = trainer.test(iterative, WindowDataModule(x3, y3, spec3), verbose=False)[0]
    assert multi["test/mae_h1"] == pytest.approx(one["test/mae"], rel=1e-5)
    assert {"test/mae_h2", "test/mae_h3", "test/rmse"} <= set(multi)
    assert iterative.trainable is False


def test_iterative_errors_name_the_fix():
    spec = SeriesSpec(input_len=6, n_inputs=3, n_targets=2, n_ahead=1, target_input_index=(1, 0))
    with pytest.raises(ValueError, match="every input column must be a target"):
        IterativeForecaster(build("linear", spec), spec)
    with pytest.raises(ValueError, match="needs a one-step model.*got n_ahead=3"):
        IterativeForecaster(build("linear", two_column_spec(3)), two_column_spec(4))
    single = make_spec(sine(20), input_len=6, n_ahead=1)
    with pytest.raises(ValueError, match="trained on 2 inputs / 2 targets"):
        IterativeForecaster(build("linear", two_column_spec(1)), single)


def test_iterative_refuses_a_target_that_is_not_an_input():
    # targets (a, b) with only a as input: b's forecast has no input column to go back into
    spec = SeriesSpec(input_len=6, n_inputs=1, n_targets=2, n_ahead=1, target_input_index=(0, None))
    wide = SeriesSpec(input_len=6, n_inputs=1, n_targets=2, n_ahead=3, target_input_index=(0, None))
    with pytest.raises(ValueError, match="every target must be an input column"):
        IterativeForecaster(build("linear", spec), wide)


def test_iterative_needs_the_training_window_length():
    wider = SeriesSpec(input_len=8, n_inputs=2, n_targets=2, n_ahead=3, target_input_index=(1, 0))
    with pytest.raises(ValueError, match=r"input_len=6.*input_len=8.*data.input_len=6"):
        IterativeForecaster(build("linear", two_column_spec(1)), wider)
