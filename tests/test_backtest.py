"""Rolling-origin backtests: folds that never fit on their future, scored in batches."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate
from test_train import compose_fast, train

from gatework.training.backtest import Backtest

DAYS = pd.date_range("2018-01-01", periods=700, freq="D")


@pytest.fixture
def daily_csv(tmp_path):
    """700 days with a weekly season, a trend and noise: rows 0..349 train, 350..489 val."""
    rng = np.random.default_rng(0)
    t = np.arange(len(DAYS))
    y = 50 + 5 * np.sin(2 * np.pi * t / 7) + 0.02 * t + rng.normal(0, 1, len(t))
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": DAYS.strftime("%Y-%m-%d"), "y": y}).to_csv(path, index=False)
    return path, y


def daily(path, *overrides: str, splits=("data.splits=[0.5,0.2,0.3]",)) -> tuple[str, ...]:
    data = (
        "data=csv",
        f"data.path={path}",
        "data.time_column=day",
        "data.targets=[y]",
        "data.input_len=14",
        "data.period=7",
    )
    return (*data, *splits, *overrides)


def audit_rows(text: str) -> list[dict[str, pd.Timestamp]]:
    """The fold lines of the backtest audit, dates parsed."""
    lines = text[text.index("backtest: ") :].splitlines()
    rows = []
    for line in lines[2:]:
        if line.startswith("check:"):
            break
        cells = line.split()  # fold, origin, then first .. last for each column
        dates = [pd.Timestamp(c) for c in cells[1:] if c[:1].isdigit() and "-" in c]
        origin, train0, train1, val0, val1, scaler0, scaler1, test0, test1 = dates
        spans = dict(train=(train0, train1), val=(val0, val1), test=(test0, test1))
        rows.append(dict(origin=origin, scaler=(scaler0, scaler1), **spans))
    return rows


@pytest.mark.parametrize("window", ["expanding", "sliding"])
def test_no_fold_fits_its_scaler_or_model_on_rows_after_its_origin(
    tmp_path, daily_csv, caplog, window
):
    cfg = compose_fast(
        tmp_path,
        "model=linear",
        *daily(daily_csv[0], "eval.backtest.folds=3", f"eval.backtest.window={window}"),
        data=(),
    )
    with caplog.at_level(logging.INFO):
        metrics = train(cfg)
    folds = audit_rows(caplog.text)
    assert len(folds) == 3
    assert folds[0]["origin"] == DAYS[490]  # the test split's first row
    for fold, after in zip(folds, folds[1:] + [None], strict=True):
        origin = fold["origin"]
        for fitted in ("train", "val", "scaler"):  # what the scaler and the model saw
            assert fold[fitted][1] < origin, fitted
        assert fold["test"][0] == origin  # every day of the block is scored ...
        if after is not None:  # ... up to the next origin, and no further
            assert fold["test"][1] == after["origin"] - pd.Timedelta(days=1)
        assert fold["val"][1] == origin - pd.Timedelta(days=1)  # validation: just before it
    starts = [fold["scaler"][0] for fold in folds]
    sizes = [(fold["scaler"][1] - fold["scaler"][0]).days for fold in folds]
    if window == "expanding":
        assert starts == [DAYS[0]] * 3 and sizes[0] < sizes[1] < sizes[2]
    else:
        assert starts[0] < starts[1] < starts[2] and len(set(sizes)) == 1
    assert folds[-1]["test"][1] == DAYS[-1]
    for key in ("mae", "mase", "naive_mae", "naive_mase", "conformal_coverage"):
        values = [metrics[f"backtest/{key}/fold{i}"] for i in (1, 2, 3)]
        assert metrics[f"backtest/{key}/mean"] == pytest.approx(np.mean(values))
        assert metrics[f"backtest/{key}/sd"] == pytest.approx(np.std(values, ddof=1))
    table = pd.read_csv(tmp_path / "backtest.csv")
    assert list(table["fold"]) == [1, 2, 3] and list(table["windows"]) == [70, 70, 70]
    for fold, row in zip(folds, table.itertuples(), strict=True):  # scaled by the fold's scaler
        first, last = (DAYS.get_loc(day) for day in fold["scaler"])
        std = np.std(daily_csv[1][first : last + 1])
        assert row.mae_scaled * std == pytest.approx(row.mae, rel=1e-4)
    assert (tmp_path / "backtest.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "backtest" / "fold3" / "checkpoints" / "best.ckpt").exists()


def test_rescoring_without_refit_is_batched_and_tiles_the_test_split(tmp_path, daily_csv):
    """The naive forecast re-scored at 4 origins: each fold's MAE is that of y_t ≈ y_(t-1) over
    exactly its block of days, and each fold costs one forward pass for val, one for test."""
    path, y = daily_csv
    options = daily(path, "eval.backtest.folds=4", "eval.backtest.refit=false")
    cfg = compose_fast(tmp_path, "model=naive", *options, data=())
    dm = instantiate(cfg.data)
    dm.setup()
    backtest = Backtest(cfg, dm)
    model = instantiate(cfg.model, _partial_=True)(spec=dm.spec)
    calls = []
    model.register_forward_hook(lambda module, args, out: calls.append(len(args[0])))
    metrics = backtest.run(model, None, tmp_path)
    assert calls == [52, 140, 52, 140, 52, 140, 54, 140]  # test, val per fold: 210 // 4 = 52
    bounds = [490, 542, 594, 646, 700]  # the last fold takes the remainder
    for fold, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
        naive_mae = np.abs(y[lo:hi] - y[lo - 1 : hi - 1]).mean()
        assert metrics[f"backtest/mae/fold{fold}"] == pytest.approx(naive_mae, rel=1e-5)
    assert not (tmp_path / "backtest").exists()  # nothing was trained


def test_calendar_step_puts_origins_on_month_starts(tmp_path, daily_csv, caplog):
    dates = "+data.splits={train:[null,2018-12],val:[2019-01,2019-02],test:[2019-03,null]}"
    backtest = ("eval.backtest.folds=3", "eval.backtest.step=MS")
    options = daily(daily_csv[0], *backtest, splits=("~data.splits", dates))
    cfg = compose_fast(tmp_path, "model=naive", *options, data=())
    with caplog.at_level(logging.INFO):
        metrics = train(cfg)
    folds = audit_rows(caplog.text)
    months = pd.to_datetime(["2019-03-01", "2019-04-01", "2019-05-01"])
    assert [f["origin"] for f in folds] == list(months)
    assert [f["test"][1] for f in folds][-1] == pd.Timestamp("2019-05-31")
    assert metrics["backtest/mae/fold2"] > 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("eval.backtest.folds=500",), r"folds=500 exceeds the test split's 210 rows"),
        (("eval.backtest.folds=3", "eval.backtest.step=105"), r"3 folds 105 apart start after"),
        (("eval.backtest.folds=3", "eval.backtest.step=3XS"), r"neither rows nor a pandas offset"),
        (("eval.backtest.folds=2", "eval.backtest.window=rolling"), r"one of \('expanding'"),
        (("eval.backtest.folds=-1",), r"eval.backtest.folds must be an integer >= 1, got -1"),
    ],
)
def test_impossible_backtests_fail_before_training(tmp_path, daily_csv, overrides, message):
    cfg = compose_fast(tmp_path, "model=linear", *daily(daily_csv[0], *overrides), data=())
    with pytest.raises(ValueError, match=message):
        train(cfg)
    assert not (tmp_path / "csv").exists()


def test_backtest_refuses_the_synthetic_series_and_calendar_steps_without_dates(tmp_path):
    with pytest.raises(ValueError, match=r"SyntheticDataModule holds independent series"):
        train(compose_fast(tmp_path, "model=naive", "eval.backtest.folds=2"))
    path = tmp_path / "rows.csv"
    pd.DataFrame({"y": np.sin(np.arange(300.0))}).to_csv(path, index=False)
    options = ("data=csv", f"data.path={path}", "data.targets=[y]", "eval.backtest.folds=2")
    cfg = compose_fast(tmp_path, "model=naive", *options, "eval.backtest.step=MS", data=())
    with pytest.raises(ValueError, match=r"step='MS' is a calendar period, but the rows have no"):
        train(cfg)


@pytest.mark.shared_data
def test_cta_folds_score_the_weekly_naive_like_pandas_block_by_block(tmp_path, cta_csv):
    """On the real file, re-scored folds tile 2019-06-01 .. 2021-11-30: each fold's weekly naive
    MAE is pandas' over exactly its days."""
    options = ("data=ridership", f"data.path={cta_csv}", "model=seasonal_naive")
    options += ("baseline._target_=gatework.models.SeasonalNaive", "+baseline.period=7")
    backtest = ("eval.backtest.folds=5", "eval.backtest.refit=false")
    metrics = train(compose_fast(tmp_path, *options, *backtest, data=()))
    table = pd.read_csv(cta_csv, parse_dates=["service_date"], date_format="%m/%d/%Y")
    rail = table.drop_duplicates().set_index("service_date").sort_index()["rail_boardings"]
    error = (rail.astype(float) - rail.shift(7)).abs()
    folds = pd.read_csv(tmp_path / "backtest.csv")
    assert folds["origin"][0] == "2019-06-01" and folds["last"].iloc[-1] == "2021-11-30"
    for fold in folds.itertuples():
        expected = error[fold.origin : fold.last].mean()
        assert metrics[f"backtest/naive_mae/fold{fold.fold}"] == pytest.approx(expected)
        assert fold.mae == pytest.approx(expected, rel=1e-6)  # the model is the same forecast
