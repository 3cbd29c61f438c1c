"""CTA ridership: sorting, de-duplication, Géron's date splits, the next day's type, downloads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from data_files import cta_frame, write_cta

from gatework.datamodules import RidershipDataModule, download
from gatework.datamodules.ridership import FILE, SNAPSHOT_SHA256, URL

FIRST = pd.Timestamp("2015-10-01")  # cta_frame: rail on a day = days since FIRST


def day(n: float) -> pd.Timestamp:
    return FIRST + pd.Timedelta(days=int(n))


def test_sorts_drops_duplicates_and_splits_by_date(cta_file):
    dm = RidershipDataModule(path=str(cta_file), scale=False)
    dm.setup()
    assert len(dm.table.frame) == 1553  # 2015-10-01 .. 2019-12-31
    assert dm.table.frame.index.is_monotonic_increasing
    assert [len(r) for r in dm.ranges.values()] == [1096, 151, 214]
    assert [len(d) for d in dm.datasets.values()] == [1040, 95, 158]
    x, y = dm.datasets["train"][0]  # rail is the day number: the first 56 days of 2016, then 1
    assert day(x[0, 0]) == pd.Timestamp("2016-01-01") and x.shape == (56, 1)
    assert day(y[0]) == pd.Timestamp("2016-02-26")
    text = dm.describe()
    assert "dropped 5 exact duplicate rows" in text
    assert "sha256 differs from the 2021-11-30 snapshot" in text
    assert "val    2019-01-01 .. 2019-05-31 (151)" in text


def test_next_day_type_is_an_unscaled_one_hot_of_tomorrow(cta_file):
    dm = RidershipDataModule(path=str(cta_file), inputs=["bus", "rail"], next_day_type=True)
    dm.setup()
    names = ("bus", "rail", "next_day_type_A", "next_day_type_U", "next_day_type_W")
    assert dm.spec.input_names == names and dm.spec.target_input_index == (1,)
    x, _ = dm.datasets["val"][0]  # (56, 5): 2019-01-01 .. 2019-02-25
    tomorrow = pd.date_range("2019-01-02", periods=56, freq="D").day_of_week.to_numpy()
    expected = np.stack([tomorrow == 5, tomorrow == 6, tomorrow < 5], axis=1).astype(np.float32)
    np.testing.assert_array_equal(x[:, 2:].numpy(), expected)  # one-hot left unscaled
    assert dm.scaler.mean[2:].tolist() == [0, 0, 0] and dm.scaler.std[2:].tolist() == [1, 1, 1]
    assert "the last day (2019-12-31) has no next day, all 0" in dm.describe()


def test_fourteen_days_ahead_in_sequence_mode(cta_file):
    dm = RidershipDataModule(path=str(cta_file), n_ahead=14, target_mode="sequence", scale=False)
    dm.setup()
    x, y = dm.datasets["val"][0]
    assert y.shape == (56, 14) and len(dm.datasets["val"]) == 151 - 56 - 14 + 1
    np.testing.assert_array_equal(y.numpy(), x[:, :1].numpy() + np.arange(1, 15))


def test_bad_day_type_and_header(tmp_path):
    frame = cta_frame()
    frame.loc[7, "day_type"] = "H"
    with pytest.raises(ValueError, match=r"line 9: day_type is 'H', expected one of \('A', 'U'"):
        RidershipDataModule(path=str(write_cta(tmp_path / FILE, frame))).setup()
    frame = cta_frame().rename(columns={"rail_boardings": "rail"})
    path = tmp_path / "renamed.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(
        ValueError,
        match=r"no column 'rail_boardings'; a CTA ridership file has the header "
        r"service_date,day_type,bus,rail_boardings,total_rides",
    ):
        RidershipDataModule(path=str(path)).setup()


def test_download_pins_the_books_snapshot(tmp_path, monkeypatch, cta_file):
    payload = cta_file.read_bytes()
    monkeypatch.setattr(download, "_urlretrieve", lambda url, dest: dest.write_bytes(payload))
    dm = RidershipDataModule(cache_dir=str(tmp_path / "cache"))
    with pytest.raises(
        ValueError,
        match=rf"expected {SNAPSHOT_SHA256} .*pass data.sha256=null to accept it",
    ):
        dm.prepare_data()
    dm = RidershipDataModule(cache_dir=str(tmp_path / "cache"), sha256=None)
    dm.prepare_data()  # accepts the export and records its checksum
    dm.setup()
    assert len(dm.datasets["train"]) == 1040
    record = (tmp_path / "cache" / f"{FILE}.sha256").read_text()
    assert record.startswith(download.sha256sum(cta_file)) and URL in record


def test_missing_file_says_where_to_get_it(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"CTA ridership data not found .*call prepare_data\(\) to download it, or download "
        r"it from https://data.cityofchicago.org/.* pass data.path=",
    ):
        RidershipDataModule(cache_dir=str(tmp_path)).setup()


@pytest.mark.shared_data
def test_real_file_gives_the_books_days_splits_and_naive_errors(cta_csv):
    assert len(pd.read_csv(cta_csv)) == 7701
    dm = RidershipDataModule(path=str(cta_csv), inputs=["bus", "rail"])
    dm.setup()
    frame = dm.table.frame
    assert len(frame) == 7639 and frame.index[0] == pd.Timestamp("2001-01-01")
    assert frame.index[-1] == pd.Timestamp("2021-11-30")
    assert (frame.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()  # none missing
    assert [len(r) for r in dm.ranges.values()] == [1096, 151, 914]
    assert [len(d) for d in dm.datasets.values()] == [1040, 95, 858]
    text = dm.describe()
    assert "dropped 62 exact duplicate rows" in text
    assert "sha256 matches the 2021-11-30 snapshot" in text
    # Géron's naive forecast (the value 7 days earlier), 2019-03 .. 2019-05: rail 42,143, bus 43,916
    mae = frame[["rail", "bus"]].diff(7).loc["2019-03":"2019-05"].abs().mean()
    assert round(mae["rail"]) == 42143 and round(mae["bus"]) == 43916


def test_future_columns_give_each_target_days_type(cta_file):
    future = ["day_type_A", "day_type_U", "day_type_W"]
    dm = RidershipDataModule(path=str(cta_file), n_ahead=14, future_columns=future, scale=False)
    dm.setup()
    assert dm.spec.n_future == 3 and dm.spec.input_names == ("rail",)
    x, y, x_future = next(iter(dm.val_dataloader()))
    assert x_future.shape == (32, 14, 3) and y.shape == (32, 14)
    target_days = pd.DatetimeIndex([day(v) for v in y[5].tolist()]).day_of_week.to_numpy()
    expected = np.stack([target_days == 5, target_days == 6, target_days < 5], axis=1)
    np.testing.assert_array_equal(x_future[5].numpy(), expected.astype(np.float32))
    assert "x_future, read at the target rows: ['day_type_A'" in dm.describe()
    with pytest.raises(
        ValueError, match=r"no column 'holiday' \(asked for by data.future_columns\)"
    ):
        RidershipDataModule(path=str(cta_file), future_columns="holiday").setup()


def test_a_missing_day_is_reported_and_never_shifts_the_next_day_type(tmp_path):
    frame = cta_frame().drop(index=[1200])  # 2019-01-13, a Sunday
    dm = RidershipDataModule(path=str(write_cta(tmp_path / FILE, frame)), next_day_type=True)
    dm.setup()
    assert "1 days missing: windows step over them as if consecutive" in dm.describe()
    one_hot = dm.table.frame.loc["2019-01-11":"2019-01-14", ["next_day_type_A", "next_day_type_U"]]
    # Friday -> Saturday; Saturday -> (missing Sunday): unknown, all 0; Monday -> Tuesday
    assert one_hot.to_numpy().tolist() == [[1, 0], [0, 0], [0, 0]]
