"""What a series is made of: ACF against its formula, the weekly lag, components that add up."""

import numpy as np
import pandas as pd
import pytest

from gatework.datamodules import CSVDataModule, RidershipDataModule
from gatework.explain.series import (
    autocorrelation,
    components,
    explain_series,
    strength,
    strongest_lags,
    training_series,
)


def weekly_pattern() -> np.ndarray:
    return np.array([1.0, 1.1, 1.1, 1.0, 0.9, -1.5, -1.8])


def weekly(days: int = 3 * 365, seed: int = 0) -> pd.Series:
    """Daily values: a level, a slow trend, a weekday/weekend pattern and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    week = weekly_pattern()[t % 7]
    values = 10 + 0.002 * t + week + 0.3 * rng.standard_normal(days)
    return pd.Series(values, index=pd.date_range("2016-01-01", periods=days), name="rides")


def test_acf_is_the_textbook_estimator():
    x = np.random.default_rng(1).standard_normal(200)
    d = x - x.mean()
    expected = [np.sum(d[: len(d) - k] * d[k:]) / np.sum(d * d) for k in range(11)]
    np.testing.assert_allclose(autocorrelation(x, 10), expected, rtol=1e-10)


def test_weekly_series_peaks_at_lag_7_and_its_multiples():
    acf = autocorrelation(weekly().to_numpy(), 30)
    assert int(np.argmax(acf[1:15])) + 1 == 7
    assert strongest_lags(acf) == [7, 14, 21]


def test_a_persistent_series_without_peaks_names_lag_1():
    acf = 0.9 ** np.arange(20)  # an AR(1)'s: falls from lag 0 on, no peak
    assert strongest_lags(acf) == [1]


def test_components_add_up_to_the_series():
    series = weekly()
    parts = components(series, 7)
    np.testing.assert_allclose(parts.sum(axis=1), series, rtol=1e-10)
    assert list(parts.columns) == ["level", "trend", "seasonal", "noise"]
    assert parts["level"].iloc[0] == pytest.approx(series.mean())
    seasonal = parts["seasonal"].groupby(np.arange(len(series)) % 7).mean()
    np.testing.assert_allclose(seasonal, weekly_pattern() - weekly_pattern().mean(), atol=0.05)
    assert strength(parts)["seasonal_strength"] > 0.9
    with pytest.raises(ValueError, match="set series.period"):
        components(series.iloc[:10], 7)


def test_training_series_reads_the_training_split_only(tmp_path):
    frame = weekly().rename("rides").to_frame().rename_axis("date").reset_index()
    frame.to_csv(tmp_path / "rides.csv", index=False)
    dm = CSVDataModule(
        path=str(tmp_path / "rides.csv"),
        time_column="date",
        targets=["rides"],
        splits={
            "train": ["2016-01", "2017-12"],
            "val": ["2018-01", "2018-06"],
            "test": ["2018-07", None],
        },
        input_len=28,
    )
    dm.setup()
    series = training_series(dm)
    assert series.index[0] == pd.Timestamp("2016-01-01")
    assert series.index[-1] == pd.Timestamp("2017-12-31")  # nothing from val or test
    summary = explain_series(dm, None, None, 30, tmp_path / "series.png")
    assert summary["acf_strongest_lags"][0] == 7 and summary["period"] == 7
    assert summary["span"] == ["2016-01-01", "2017-12-31"]
    assert (tmp_path / "series.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="series.column='bus' is not a column"):
        training_series(dm, "bus")


def test_synthetic_data_is_refused_with_the_fix(synthetic):
    with pytest.raises(ValueError, match="data=synthetic is 10,000 short series"):
        training_series(synthetic)


@pytest.mark.shared_data
def test_ridership_acf_peaks_at_one_week(cta_csv, tmp_path):
    dm = RidershipDataModule(path=str(cta_csv))
    dm.setup()
    series = training_series(dm)  # rail, 2016-01-01 .. 2018-12-31
    assert len(series) == 1096
    acf = autocorrelation(series.to_numpy(), 28)
    assert int(np.argmax(acf[1:15])) + 1 == 7
    summary = explain_series(dm, None, None, 28, tmp_path / "series.png")
    assert summary["acf_strongest_lags"] == [7, 14, 21] and summary["period"] == 7
