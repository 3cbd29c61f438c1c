"""Splits by fraction, row count and date; a scaler that only ever sees the training rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from gatework.datamodules import CSVDataModule, StandardScaler
from gatework.datamodules.splits import RowRange, split_rows

DAYS = pd.date_range("2015-12-01", "2019-08-31", freq="D")


def test_fractions_truncate_as_chollet():
    # num_train = int(0.5 * N), num_val = int(0.25 * N), the rest is test
    ranges = split_rows(pd.RangeIndex(420_451), [0.5, 0.25, 0.25])
    assert ranges == {
        "train": RowRange(0, 210_225),
        "val": RowRange(210_225, 315_337),
        "test": RowRange(315_337, 420_451),
    }


def test_fractions_below_one_leave_the_tail_unused():
    assert split_rows(pd.RangeIndex(100), [0.5, 0.2, 0.1])["test"] == RowRange(70, 80)


def test_row_counts():
    ranges = split_rows(pd.RangeIndex(10_000), [7000, 2000, 1000])
    assert [tuple(r) for r in ranges.values()] == [(0, 7000), (7000, 9000), (9000, 10_000)]


def test_dates_are_inclusive_partial_months_as_geron():
    splits = {
        "train": ["2016-01", "2018-12"],
        "val": ["2019-01", "2019-05"],
        "test": ["2019-06", None],
    }
    ranges = split_rows(DAYS, splits)
    assert DAYS[ranges["train"].start] == pd.Timestamp("2016-01-01")
    assert DAYS[ranges["train"].stop - 1] == pd.Timestamp("2018-12-31")
    assert [len(r) for r in ranges.values()] == [1096, 151, 92]
    assert DAYS[ranges["test"].stop - 1] == DAYS[-1]


@pytest.mark.parametrize(
    ("splits", "message"),
    [
        ([0.6, 0.3, 0.2], r"fractions must be >= 0 and sum to at most 1, got \[0.6, 0.3, 0.2\]"),
        ([700, 200, 200], r"row counts \[700, 200, 200\] need 1100 rows, the data has 1000"),
        ([0.9, 0.1, 0.0], r"gives the test split no rows"),
        ([1, 2], r"data.splits must be three fractions"),
        (["a", "b", "c"], r"data.splits must hold three numbers"),
        ({"train": ["2016", "2017"]}, r"needs exactly the keys \('train', 'val', 'test'\)"),
    ],
)
def test_bad_splits(splits, message):
    with pytest.raises(ValueError, match=message):
        split_rows(pd.RangeIndex(1000), splits)


def test_date_splits_must_not_overlap():
    splits = {"train": ["2016", "2018"], "val": ["2018-06", "2019-01"], "test": ["2019-02", None]}
    with pytest.raises(ValueError, match=r"val starts before train ends .* must not overlap"):
        split_rows(DAYS, splits)


def test_date_splits_need_timestamps():
    with pytest.raises(ValueError, match=r"by date needs timestamps: set data.time_column"):
        split_rows(pd.RangeIndex(10), {"train": [0, 1], "val": [2, 3], "test": [4, 5]})


def test_scaler_statistics_are_those_of_the_training_rows_only(tmp_path):
    # train rows hold small values, later rows huge ones: any leak shows in the statistics
    rng = np.random.default_rng(0)
    a = np.r_[rng.normal(5, 2, 60), rng.normal(500, 50, 40)]
    b = np.r_[rng.normal(-1, 0.5, 60), rng.normal(90, 9, 40)]
    path = tmp_path / "two.csv"
    pd.DataFrame({"a": a, "b": b}).to_csv(path, index=False)
    dm = CSVDataModule(path=str(path), targets="b", input_len=4, splits=[60, 20, 20])
    dm.setup()
    np.testing.assert_allclose(dm.scaler.mean, [a[:60].mean(), b[:60].mean()], rtol=1e-12)
    np.testing.assert_allclose(dm.scaler.std, [a[:60].std(), b[:60].std()], rtol=1e-12)
    assert dm.spec.target_mean == pytest.approx((b[:60].mean(),))
    assert dm.spec.target_std == pytest.approx((b[:60].std(),))
    x, y = dm.datasets["val"][0]  # val windows are scaled with the training statistics
    assert x[0].numpy() == pytest.approx((np.r_[a[60], b[60]] - dm.scaler.mean) / dm.scaler.std)
    assert "scaler: fit on train rows only, row 0 .. row 59 (60 rows)" in dm.describe()


def test_scaler_round_trip_and_state():
    x = np.array([[1.0, 10.0, 0.0], [3.0, 10.0, 1.0], [5.0, 10.0, 0.0]])
    scaler = StandardScaler(["a", "const", "onehot"]).fit(x, scaled=[True, True, False])
    assert scaler.mean.tolist() == [3.0, 10.0, 0.0]
    assert scaler.std.tolist() == pytest.approx([np.sqrt(8 / 3), 1.0, 1.0])  # ddof=0; 0 -> 1
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(x)), x)
    t = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    assert scaler.inverse_transform(t, columns=["a", "onehot"])[0].tolist() == pytest.approx(
        [3 + 0.5 * np.sqrt(8 / 3), -1.0]
    )
    other = StandardScaler(["a", "const", "onehot"])
    other.load_state_dict(scaler.state_dict())
    np.testing.assert_array_equal(other.transform(x), scaler.transform(x))
    with pytest.raises(ValueError, match=r"scaler state is for columns \('a', 'const', 'onehot'\)"):
        StandardScaler(["a"]).load_state_dict(scaler.state_dict())


@pytest.mark.parametrize("bad", [1e200, np.nan])
def test_scaler_refuses_non_finite_statistics(bad):
    # 1e200 is a finite float64, but its square is not: the std would be inf, every metric NaN
    x = np.array([[1.0, 2.0], [bad, 3.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match=r"column 'a' give the scaler mean .* std (inf|nan)"):
        StandardScaler(["a", "b"]).fit(x)
    StandardScaler(["a", "b"]).fit(x, scaled=[False, True])  # a column left unscaled is no matter


def test_scaler_keeps_a_tensor_on_its_device():
    # forecasts on an accelerator map back to original units where they are ("meta" stands in)
    scaler = StandardScaler(["a", "b"]).fit(np.array([[1.0, 2.0], [3.0, 6.0]]))
    x = torch.zeros(4, 2, device="meta")
    assert scaler.inverse_transform(x).device == x.device
    assert scaler.transform(x[:, :1], columns=["b"]).device == x.device


def test_checkpoint_state_restores_the_scaler(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame({"v": np.arange(100.0) ** 2}).to_csv(path, index=False)
    dm = CSVDataModule(path=str(path), targets="v", input_len=3)
    dm.setup()
    state = dm.state_dict()
    assert state["scaler"]["mean"] == pytest.approx([np.mean(np.arange(70.0) ** 2)])
    # a datamodule on other rows, restored from the checkpoint, scales as the trained one did
    fresh = CSVDataModule(path=str(path), targets="v", input_len=3, splits=[0.2, 0.4, 0.4])
    fresh.setup()
    assert fresh.spec.target_mean != dm.spec.target_mean
    fresh.load_state_dict(state)
    assert fresh.spec.target_mean == dm.spec.target_mean
    x, _ = fresh.datasets["val"][0]
    assert x[0, 0].item() == pytest.approx((20**2 - dm.spec.target_mean[0]) / dm.spec.target_std[0])
    assert "scaler: loaded from a checkpoint" in fresh.describe()
    late = CSVDataModule(path=str(path), targets="v", input_len=3, splits=[0.2, 0.4, 0.4])
    late.load_state_dict(state)  # before setup, as when a checkpoint is loaded first
    late.setup()
    assert late.spec.target_std == dm.spec.target_std


def test_scale_false_is_the_identity(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame({"v": np.arange(50.0)}).to_csv(path, index=False)
    dm = CSVDataModule(path=str(path), targets="v", input_len=3, scale=False)
    dm.setup()
    assert dm.spec.target_mean == (0.0,) and dm.spec.target_std == (1.0,)
    assert dm.datasets["train"][5][0][:, 0].tolist() == [5, 6, 7]
    assert "scaler: none (scale=false)" in dm.describe()


def test_resplit_shares_the_table_and_fits_its_own_scaler_on_its_own_training_rows(tmp_path):
    path = tmp_path / "rows.csv"
    values = np.arange(100.0) ** 2
    pd.DataFrame({"a": values}).to_csv(path, index=False)
    dm = CSVDataModule(path=str(path), targets=["a"], input_len=3, splits=[50, 20, 30])
    dm.setup()
    ranges = {"train": RowRange(10, 60), "val": RowRange(60, 80), "test": RowRange(80, 90)}
    fold = dm.resplit(ranges, lookback=True)
    assert fold.table is dm.table and fold.scaler is not dm.scaler
    assert fold.scaler_rows == RowRange(10, 60) and dm.scaler_rows == RowRange(0, 50)
    assert fold.scaler.mean[0] == pytest.approx(values[10:60].mean())
    assert dm.scaler.mean[0] == pytest.approx(values[:50].mean())  # the original is untouched
    assert fold.split_audits["test"].first_target == 80 and len(fold.datasets["test"]) == 10
    assert fold.split_audits["test"].first_input == 77  # lookback: inputs before the origin
    assert "fit on train rows only, row 10 .. row 59 (50 rows)" in fold.describe()


def test_scale_by_a_number_divides_as_geron(cta_file):
    # Géron's ridership: the series / 1e6, the next-day types left as they are, no statistics
    from gatework.datamodules import RidershipDataModule

    options = dict(path=str(cta_file), inputs=["bus", "rail"], next_day_type=True)
    dm, raw = RidershipDataModule(**options, scale=1e6), RidershipDataModule(**options, scale=False)
    dm.setup()
    raw.setup()
    x, y = dm.datasets["val"][0]
    x_raw, y_raw = raw.datasets["val"][0]
    torch.testing.assert_close(x[:, :2], x_raw[:, :2] / 1e6)  # bus, rail
    torch.testing.assert_close(x[:, 2:], x_raw[:, 2:])  # one-hot day types
    torch.testing.assert_close(y * 1e6, y_raw)
    assert dm.spec.target_mean == (0.0,) and dm.spec.target_std == (1e6,)
    assert "scaler: every scaled column divided by 1e+06 (data.scale)" in dm.describe()


@pytest.mark.parametrize("scale", [0, -1e6, "yes"])
def test_bad_scale_names_the_choices(scale):
    with pytest.raises(ValueError, match=r"data.scale must be true .* false .* positive number"):
        CSVDataModule(path="unused.csv", targets="v", input_len=3, scale=scale)
