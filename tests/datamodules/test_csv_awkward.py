"""Awkward files as spreadsheets and exports write them: gaps in time, a trailing separator,
decimal commas, a row in another date format. Each is said plainly, never repaired silently."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from gatework.datamodules import CSVDataModule

DAYS = pd.date_range("2022-01-01", periods=400, freq="D")


def daily_file(tmp_path, rows: np.ndarray, dates=DAYS, name: str = "daily.csv", fmt="%Y-%m-%d"):
    frame = pd.DataFrame({"date": dates[rows].strftime(fmt), "sales": rows * 1.0})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def sales(path, **options):
    options = {"time_column": "date", "targets": ["sales"], "input_len": 3, **options}
    dm = CSVDataModule(path=str(path), **options)
    dm.setup()
    return dm


def test_missing_days_are_said_in_the_audit_and_the_log(tmp_path, caplog):
    gaps = [*range(20, 23), *range(100, 110), *range(200, 219)]  # 32 days in 3 gaps
    path = daily_file(tmp_path, np.setdiff1d(np.arange(400), gaps))
    with caplog.at_level(logging.WARNING):
        dm = sales(path)
    lines = dm.describe().splitlines()
    assert lines[1:4] == [
        "table: 368 rows, 2022-01-01 .. 2023-02-04",  # numbers unchanged: nothing is refused
        "  irregular spacing at the usual step 'D' (pandas frequency): 32 timestamps missing in "
        "3 gaps, the first 2022-01-21 .. 2022-01-23 (3 missing), the largest "
        "2022-07-20 .. 2022-08-07 (19 missing)",
        "  windows, forecast steps and data.period count rows, not time: resample or fill the "
        "file to a regular step, or accept the gaps if they are meant (e.g. closed days)",
    ]
    assert len(dm.table.frame) == 368
    [record] = [r for r in caplog.records if "irregular spacing" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(f"{path}: irregular spacing at the usual step 'D'")
    assert "32 timestamps missing in 3 gaps" in record.getMessage()


def test_business_days_are_regular_and_a_missing_one_is_a_gap(tmp_path, caplog):
    weekdays = pd.bdate_range("2022-01-03", periods=300)
    with caplog.at_level(logging.WARNING):
        dm = sales(daily_file(tmp_path, np.arange(300), weekdays))
    assert "irregular" not in dm.describe() and not caplog.records
    holiday = sales(daily_file(tmp_path, np.setdiff1d(np.arange(300), [10]), weekdays, "b.csv"))
    assert (
        "  irregular spacing at the usual step 'B' (pandas frequency): 1 timestamp missing in "
        "one gap, 2022-01-17 (1 missing)"
    ) in holiday.describe().splitlines()


def test_timestamps_with_no_usual_step_say_the_range_of_steps(tmp_path):
    hours = np.cumsum(np.resize([1, 1, 2, 5], 200))  # no stretch of 8 rows is regular
    times = pd.Timestamp("2022-01-01") + pd.to_timedelta(hours, unit="h")
    dm = sales(daily_file(tmp_path, np.arange(200), times, fmt="%Y-%m-%d %H:%M:%S"))
    note = [line for line in dm.describe().splitlines() if "irregular" in line]
    assert note == [
        "  irregular spacing: no pandas frequency fits the timestamps; steps between rows range "
        "from 01:00:00 to 05:00:00 (most often 01:00:00)"
    ]


def test_a_row_in_another_date_format_is_the_one_named(tmp_path):
    frame = pd.DataFrame({"date": DAYS.strftime("%Y-%m-%d"), "sales": np.arange(400.0)})
    frame.loc[0, "date"] = "01/01/2022"  # pandas infers the format from this first row
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ValueError) as err:
        sales(path)
    assert str(err.value) == (
        f"{path}, line 2: column 'date' holds '01/01/2022', not a timestamp in format "
        "'%Y-%m-%d' of 399 of the 400 rows (1 such row, at lines [2]); write these rows as "
        "the others, or set data.time_format"
    )


def spreadsheet_export(tmp_path, last_cells: list[str], header_end: str = ",") -> str:
    """``date,sales,temp,store,``: a separator after the last name, as spreadsheets export."""
    rows = [
        f"{d},{i}.5,{i % 7},{i % 3},{last_cells[i % len(last_cells)]}"
        for i, d in enumerate(DAYS[:60].strftime("%Y-%m-%d"))
    ]
    path = tmp_path / "export.csv"
    path.write_text("\n".join([f"date,sales,temp,store{header_end}", *rows]) + "\n")
    return path


def test_an_empty_column_without_a_name_is_dropped_with_a_note(tmp_path):
    dm = sales(spreadsheet_export(tmp_path, [""]), fill="zero")
    assert dm.table.inputs == ["sales", "temp", "store"]  # no phantom all-zero input
    assert dm.table.columns == ["date", "sales", "temp", "store"]
    assert (
        "  dropped column 5: no header name and no value (a separator at the end of the header "
        "gives one)"
    ) in dm.describe().splitlines()


def test_values_under_an_empty_header_name_are_refused_unless_left_out(tmp_path):
    path = spreadsheet_export(tmp_path, ["1", "2"])
    with pytest.raises(ValueError) as err:
        sales(path)
    assert str(err.value) == (
        f"{path}, line 1: the header has an empty name at column position 5, whose column holds "
        "values; name it in the header, or leave it out by listing the columns to use in "
        "data.inputs"
    )
    assert sales(path, inputs=["sales", "temp"]).table.inputs == ["sales", "temp"]


def test_a_named_column_with_no_value_is_an_empty_input_not_a_fill_job(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(
        "date,sales,temp\n"
        + "".join(f"{d},{i},\n" for i, d in enumerate(DAYS[:60].strftime("%Y-%m-%d")))
    )
    with pytest.raises(ValueError) as err:
        sales(path, fill="zero")
    assert str(err.value) == (
        f"{path}: column 'temp' (data.inputs) is empty: no value on any of its 60 rows; fill "
        "it in the file, or leave it out of data.inputs"
    )
    with pytest.raises(ValueError, match=r"column 'temp' \(the target, data.targets\) is empty"):
        CSVDataModule(
            path=str(path), time_column="date", targets=["temp"], inputs=["sales"]
        ).setup()


def decimal_comma_file(tmp_path, bad_row: int | None = None):
    """``1003,8``: numbers as spreadsheets in many European locales save them, ``;``-separated."""
    cells = [f"{1000 + i},{i % 10};{i % 7},5" for i in range(60)]
    if bad_row is not None:
        cells[bad_row] = "unknown;1,5"
    path = tmp_path / "comma.csv"
    path.write_text(
        "date;sales;temp\n"
        + "".join(f"{d};{c}\n" for d, c in zip(DAYS[:60].strftime("%Y-%m-%d"), cells, strict=True))
    )
    return path


def test_decimal_commas_are_read_with_data_decimal_and_hinted_without(tmp_path):
    path = decimal_comma_file(tmp_path)
    with pytest.raises(ValueError) as err:
        sales(path, sep=";")
    assert str(err.value) == (
        f"{path}, line 2: column 'sales' (the target, data.targets) holds '1000,0', not a number "
        "(60 such cells); it looks like a number with a decimal comma: set data.decimal=',' (on "
        "the command line, quoted for the shell and Hydra: \"data.decimal=','\")"
    )
    frame = sales(path, sep=";", decimal=",").table.frame
    assert frame["sales"].iloc[:3].tolist() == [1000.0, 1001.1, 1002.2]
    assert frame["temp"].iloc[:3].tolist() == [0.5, 1.5, 2.5]


def test_with_data_decimal_a_bad_cell_is_the_one_named(tmp_path):
    path = decimal_comma_file(tmp_path, bad_row=4)  # pandas leaves the column as text
    with pytest.raises(ValueError) as err:
        sales(path, sep=";", decimal=",")
    assert str(err.value).startswith(
        f"{path}, line 6: column 'sales' (the target, data.targets) holds 'unknown', not a number "
        "(1 such cells); the target must be a number on every row"
    )
    with pytest.raises(ValueError, match=r"data.decimal must be one character .* got '.,'"):
        sales(path, sep=";", decimal=".,")
