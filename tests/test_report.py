"""Run reports: metric renaming, metrics.json, the model-vs-naive table and the plots."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from gatework.training import plots
from gatework.training.plots import plot_forecasts, plot_learning_curves
from gatework.training.report import (
    comparison_table,
    tag_metrics,
    worse_than_naive,
    write_metrics,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_tag_metrics_goes_after_the_split():
    tagged = tag_metrics({"test/mae": 1.0, "val/mae_h2": 2.0, "epochs": 3.0}, "naive")
    assert tagged == {"test/naive_mae": 1.0, "val/naive_mae_h2": 2.0, "naive_epochs": 3.0}


def test_write_metrics_is_sorted_json_with_null_for_nan(tmp_path):
    path = tmp_path / "m.json"
    write_metrics({"val/mae": 0.5, "test/mape": math.inf, "test/mae": 0.25}, path)
    text = path.read_text()
    assert json.loads(text) == {"test/mae": 0.25, "test/mape": None, "val/mae": 0.5}
    assert text.index("test/mae") < text.index("val/mae")
    assert not (tmp_path / "timings.json").exists()  # no timings, no file


def test_write_metrics_sets_the_timings_apart(tmp_path):
    metrics = {"val/mae": 0.5, "fit/seconds": 12.5, "backtest/seconds": 3.0, "fit/epochs": 4.0}
    written = write_metrics(metrics, tmp_path / "metrics.json")
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"fit/epochs": 4, "val/mae": 0.5}
    assert written == {"fit/epochs": 4, "val/mae": 0.5}
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert timings == {"backtest/seconds": 3.0, "fit/seconds": 12.5}


def test_comparison_table_rows_and_values():
    metrics = {
        "val/mae": 1.5,
        "val/naive_mae": 3.0,
        "test/mae": 2.0,
        "test/naive_mae": 4.0,
        "test/rmse": 2.5,
    }
    lines = comparison_table(metrics, "gru").splitlines()
    assert lines[0].split() == ["MAE", "RMSE", "MASE", "SMAPE", "MAPE"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["gru", "val", "1.5"],
        ["naive", "val", "3"],
        ["gru", "test", "2"],
        ["naive", "test", "4"],
    ]
    assert lines[3].split()[3:] == ["2.5", "-", "-", "-"]


def test_comparison_table_flags_mape_and_lists_the_intervals():
    metrics = {
        "test/mae": 2.0,
        "test/mape": 0.75,
        "test/mape_crosses_zero": 1.0,
        "test/naive_mae": 4.0,
        "test/naive_mape": 0.5,
        "test/naive_mape_crosses_zero": 0.0,
        "test/conformal_coverage": 0.79,
        "test/conformal_width": 3.5,
        "test/naive_conformal_coverage": 0.8,
        "test/coverage": 0.7,
    }
    lines = comparison_table(metrics, "gru").splitlines()
    assert lines[1].split()[-1] == "0.75*" and lines[2].split()[-1] == "0.5"
    assert lines[3].startswith("* the targets cross zero")
    assert lines[4] == "" and lines[5].split() == ["COVERAGE", "WIDTH", "PINBALL"]
    assert [line.split() for line in lines[6:]] == [
        ["gru", "conformal", "test", "0.79", "3.5", "-"],
        ["naive", "conformal", "test", "0.8", "-", "-"],
        ["gru", "quantiles", "test", "0.7", "-", "-"],
    ]


def test_a_model_far_worse_than_naive_gets_a_warning_line():
    metrics = {"val/mae": 3.1, "val/naive_mae": 2.0, "test/mae": 2.9, "test/naive_mae": 2.0}
    assert worse_than_naive(metrics, "gru") == [
        "warning: gru's val MAE is 1.6 times the naive forecast's (3.1 against 2): it has not "
        "learned the series; train longer, adjust model.optimizer.lr, or check the data's scaling"
    ]  # test: 1.45 times, within the factor
    assert worse_than_naive({"val/mae": 2.9, "val/naive_mae": 2.0}, "gru") == []
    assert worse_than_naive({"val/mae": 9.0}, "gru") == []  # no baseline, nothing to compare
    assert comparison_table(metrics, "gru").splitlines()[-1].startswith("warning: gru's val MAE")


def test_learning_curves_from_a_csv_log(tmp_path):
    log = pd.DataFrame(
        {  # Lightning writes step rows and epoch rows with gaps
            "epoch": [0, 0, 1, 1],
            "step": [9, 9, 19, 19],
            "train/loss": [0.5, np.nan, 0.3, np.nan],
            "val/loss": [np.nan, 0.6, np.nan, 0.4],
            "val/mae": [np.nan, 2.0, np.nan, 1.5],
        }
    )
    log.to_csv(tmp_path / "metrics.csv", index=False)
    png = plot_learning_curves(tmp_path / "metrics.csv", tmp_path / "curves.png")
    assert png == tmp_path / "curves.png"
    assert png.read_bytes().startswith(PNG_MAGIC)


def test_learning_curves_without_a_log_draw_nothing(tmp_path):
    assert plot_learning_curves(tmp_path / "missing.csv", tmp_path / "curves.png") is None
    pd.DataFrame({"epoch": [0], "step": [0], "test/mae": [1.0]}).to_csv(tmp_path / "m.csv")
    assert plot_learning_curves(tmp_path / "m.csv", tmp_path / "curves.png") is None
    assert not (tmp_path / "curves.png").exists()


@pytest.mark.parametrize("n_ahead", [1, 5])
def test_forecast_plot(tmp_path, n_ahead):
    rng = np.random.default_rng(0)
    history, truth = rng.normal(size=(3, 12)), rng.normal(size=(3, n_ahead))
    png = plot_forecasts(history, truth, truth + 0.1, tmp_path / "f.png", naive=truth * 0)
    assert png.read_bytes().startswith(PNG_MAGIC)


@pytest.fixture
def figures(monkeypatch) -> list:
    """The figures the plots module draws, kept for inspection."""
    drawn = []

    class Recorded(plots.Figure):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            drawn.append(self)

    monkeypatch.setattr(plots, "Figure", Recorded)
    return drawn


def test_forecast_plot_puts_the_truth_horizon_steps_after_the_last_input(tmp_path, figures):
    """With horizon=24 (Jena: 24 h after the last input) the first target is drawn at step 24."""
    history, truth = np.zeros((1, 5)), np.ones((1, 2))
    plot_forecasts(history, truth, truth, tmp_path / "f.png", horizon=24)
    ax = figures[0].axes[0]
    by_label = {line.get_label(): line for line in ax.get_lines()}
    assert list(by_label["input"].get_xdata()) == [-4, -3, -2, -1, 0]
    assert list(by_label["truth"].get_xdata()) == [24, 25]
    assert list(by_label["forecast"].get_xdata()) == [24, 25]


def test_forecast_plot_shades_the_interval(tmp_path, figures):
    history, truth = np.zeros((2, 5)), np.ones((2, 3))
    band = dict(lower=truth - 1, upper=truth + 1, band_label="80% conformal interval")
    plot_forecasts(history, truth, truth, tmp_path / "f.png", **band)
    ax = figures[0].axes[0]
    (band,) = ax.collections
    assert band.get_label() == "80% conformal interval"
    assert ax.get_legend_handles_labels()[1].count("80% conformal interval") == 1


def test_backtest_plot_draws_model_and_naive_per_fold_and_the_nominal_coverage(tmp_path, figures):
    table = pd.DataFrame(
        {
            "origin": ["2019-06-01", "2019-12-01"],
            "mae": [3.0, 5.0],
            "naive_mae": [4.0, 4.5],
            "conformal_coverage": [0.9, 0.6],
        }
    )
    png = plots.plot_backtest(table, tmp_path / "b.png", coverage=0.8)
    assert png.read_bytes().startswith(PNG_MAGIC)
    errors, coverage = figures[0].axes
    assert [list(line.get_ydata()) for line in errors.get_lines()] == [[3.0, 5.0], [4.0, 4.5]]
    assert [line.get_label() for line in coverage.get_lines()] == ["model", "nominal 0.8"]
    assert [t.get_text() for t in coverage.get_xticklabels()] == ["1\n2019-06-01", "2\n2019-12-01"]
