"""Forecasts from a checkpoint: the run's model, cleaning and scaler; original units, timestamps."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from test_train import compose_fast, train

from gatework.forecaster import Forecaster

REPO = Path(__file__).resolve().parents[1]
N_AHEAD = 3


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A linear model trained on an hourly CSV (two inputs, target y, 3 steps ahead)."""
    folder = tmp_path_factory.mktemp("forecaster")
    t = np.arange(300)
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2024-01-01", periods=300, freq="h").strftime("%Y-%m-%d %H:%M"),
            "y": 100 + 10 * np.sin(t / 8) + 0.1 * t,  # far from 0: scaling matters
            "x": np.cos(t / 5),
        }
    )
    path = folder / "hourly.csv"
    frame.to_csv(path, index=False)
    data = (
        "data=csv",
        f"data.path={path}",
        "data.time_column=time",
        "data.targets=[y]",
        "data.input_len=12",
        f"data.n_ahead={N_AHEAD}",
    )
    run = folder / "run"
    metrics = train(compose_fast(run, "model=linear", "trainer.max_epochs=2", data=data))
    return run, path, metrics


def test_every_window_forecast_matches_the_runs_own_test_metrics(csv_run):
    run, path, metrics = csv_run
    windows = Forecaster.load(run).predict(pd.read_csv(path), windows=True)
    bounds = ["y_lower_80", "y_upper_80"]  # the run's conformal interval (conformal.json)
    assert list(windows.columns) == ["origin", "time", "step", "y", "y_forecast", *bounds]
    test_start = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(0.7 * 300) + int(0.15 * 300))
    test = windows[windows["origin"] - pd.Timedelta(hours=11) >= test_start]  # inputs in test
    assert len(test) == N_AHEAD * (300 - 255 - 12 - N_AHEAD + 1)
    error = (test["y"] - test["y_forecast"]).abs().mean()
    assert error == pytest.approx(metrics["test/mae"], rel=1e-5)
    inside = test["y"].between(test["y_lower_80"], test["y_upper_80"]).mean()
    assert inside == pytest.approx(metrics["test/conformal_coverage"], rel=1e-5)
    width = (test["y_upper_80"] - test["y_lower_80"]).mean()
    assert width == pytest.approx(metrics["test/conformal_width"], rel=1e-4)
    truth = pd.read_csv(path, parse_dates=["time"]).set_index("time")["y"]
    assert test["y"].to_numpy() == pytest.approx(truth[test["time"]].to_numpy())  # original units


def test_the_forecast_after_the_last_row_has_the_next_timestamps(csv_run):
    run, path, _ = csv_run
    frame = pd.read_csv(path)
    forecaster = Forecaster.load(run)
    ahead = forecaster.predict(frame.iloc[:-N_AHEAD])  # the last N_AHEAD rows are its future
    assert list(ahead.columns) == ["time", "step", "y", "y_lower_80", "y_upper_80"]
    radius = json.loads((run / "conformal.json").read_text())["radius"]  # one per step
    assert (ahead["y_upper_80"] - ahead["y"]).to_numpy() == pytest.approx(radius, rel=1e-4)
    assert (ahead["y"] - ahead["y_lower_80"]).to_numpy() == pytest.approx(radius, rel=1e-4)
    assert ahead["time"].tolist() == pd.to_datetime(frame["time"].iloc[-N_AHEAD:]).tolist()
    assert ahead["step"].tolist() == [1, 2, 3]
    last_window = forecaster.predict(frame, windows=True).tail(N_AHEAD)
    assert ahead["y"].to_numpy() == pytest.approx(last_window["y_forecast"].to_numpy())
    assert np.abs(ahead["y"] - frame["y"].iloc[-N_AHEAD:].to_numpy()).max() < 20  # not scaled


def test_the_checkpoint_alone_is_enough(csv_run, tmp_path):
    run, path, _ = csv_run
    alone = tmp_path / "model.ckpt"
    alone.write_bytes((run / "checkpoints" / "best.ckpt").read_bytes())  # no scaler.json beside
    forecast = Forecaster.load(alone).predict(path)
    expected = Forecaster.load(run).predict(path)
    pd.testing.assert_frame_equal(forecast, expected[["time", "step", "y"]])  # no conformal.json


def test_columns_that_differ_from_the_training_file_are_refused(csv_run):
    run, path, _ = csv_run
    frame = pd.read_csv(path).rename(columns={"x": "z"})
    with pytest.raises(
        ValueError,
        match=r"<DataFrame>: its columns differ from the training data's: missing \['x'\], "
        r"extra \['z'\]; give the columns the model was trained on, \['time', 'y', 'x'\]",
    ):
        Forecaster.load(run).predict(frame)
    with pytest.raises(
        ValueError,
        match=r"11 rows after cleaning; the model reads 12 \(input_len=12, sampling_rate=1\): "
        r"give at least 12 rows, the last 12 before the forecast",
    ):
        Forecaster.load(run).predict(pd.read_csv(path).iloc[:11])


def test_a_file_with_decimal_commas_forecasts_as_the_training_file(csv_run, tmp_path):
    run, path, _ = csv_run
    comma = tmp_path / "comma.csv"
    pd.read_csv(path).to_csv(comma, sep=";", decimal=",", index=False)
    options = {"sep": ";", "decimal": ","}
    forecast = Forecaster.load(run, data=options).predict(comma)
    pd.testing.assert_frame_equal(forecast, Forecaster.load(run).predict(path))


def test_bad_rows_get_the_training_data_checks(csv_run):
    run, path, _ = csv_run
    frame = pd.read_csv(path).astype({"y": object})
    frame.loc[5, "y"] = "oops"
    with pytest.raises(ValueError, match=r"line 7: column 'y' \(the target, data.targets\)"):
        Forecaster.load(run).predict(frame)


def test_no_checkpoint_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"holds no checkpoints/best.ckpt or last.ckpt"):
        Forecaster.load(tmp_path)


def test_predict_command_writes_a_csv(csv_run, tmp_path, capsys):
    run, path, _ = csv_run
    spec = importlib.util.spec_from_file_location("predict", REPO / "predict.py")
    predict = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(predict)
    out = tmp_path / "forecast.csv"
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        cfg = compose("predict", overrides=[f"ckpt={run}", f"data.path={path}", f"output={out}"])
    predict.main(cfg)  # what python predict.py ckpt=... data.path=... output=... runs
    forecast = pd.read_csv(out, parse_dates=["time"])
    assert forecast["time"].tolist() == list(pd.date_range("2024-01-13 12:00", periods=3, freq="h"))
    assert "2024-01-13 12:00:00" in capsys.readouterr().out


def test_a_quantile_model_forecasts_its_levels_beside_the_median(csv_run, tmp_path):
    _, path, _ = csv_run
    data = ("data=csv", f"data.path={path}", "data.time_column=time", "data.targets=[y]")
    quantile = ("model.loss=quantile", "model.quantiles=[0.1,0.5,0.9]")
    run = tmp_path / "run"
    options = (*data, "data.input_len=12")
    metrics = train(
        compose_fast(run, "model=linear", *quantile, "trainer.max_epochs=2", data=options)
    )
    (run / "conformal.json").unlink()  # the levels alone
    windows = Forecaster.load(run).predict(path, windows=True)
    assert list(windows.columns) == [
        "origin",
        "time",
        "step",
        "y",
        "y_forecast",
        "y_q0.1",
        "y_q0.9",
    ]
    test_start = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(0.7 * 300) + int(0.15 * 300))
    test = windows[windows["origin"] - pd.Timedelta(hours=11) >= test_start]
    assert len(test) == 300 - 255 - 12  # one step ahead
    inside = test["y"].between(test["y_q0.1"], test["y_q0.9"]).mean()
    assert inside == pytest.approx(metrics["test/coverage"], rel=1e-5)  # the outermost levels
    assert (test["y_q0.1"] <= test["y_forecast"]).all()
