"""CSVDataModule: the audit, and every kind of bad input refused with a message that helps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gatework.datamodules import CSVDataModule

HOURS = pd.date_range("2021-03-01 00:00", periods=40, freq="h").strftime("%Y-%m-%d %H:%M")


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def hourly(tmp_path, **columns):
    frame = pd.DataFrame({"time": HOURS[: len(next(iter(columns.values())))], **columns})
    path = tmp_path / "hourly.csv"
    frame.to_csv(path, index=False)
    return path


def module(path, **options):
    options = {"time_column": "time", "targets": ["a"], "input_len": 3, **options}
    return CSVDataModule(path=str(path), **options)


def test_audit_names_rows_windows_and_scaler(tmp_path):
    path = hourly(tmp_path, a=np.arange(40.0), note=["x"] * 40)
    dm = module(path, splits=[20, 10, 10], horizon=2)
    dm.setup()
    lines = [" ".join(line.split()) for line in dm.describe().splitlines()]  # spacing aside
    assert lines == (
        [
            f"data: CSVDataModule from {path}",
            "table: 40 rows, 2021-03-01 00:00:00 .. 2021-03-02 15:00:00",
            "not numeric, not used: ['note']",
            "inputs: ['a']; targets: ['a']",
            "windows: input_len=3 sampling_rate=1 horizon=2 n_ahead=1 target_mode=vector "
            "stride=1 lookback=false",
            "split rows inputs read targets read windows",
            "train 2021-03-01 00:00:00 .. 2021-03-01 19:00:00 (20) 2021-03-01 00:00:00 .. "
            "2021-03-01 17:00:00 2021-03-01 04:00:00 .. 2021-03-01 19:00:00 16",
            "val 2021-03-01 20:00:00 .. 2021-03-02 05:00:00 (10) 2021-03-01 20:00:00 .. "
            "2021-03-02 03:00:00 2021-03-02 00:00:00 .. 2021-03-02 05:00:00 6",
            "test 2021-03-02 06:00:00 .. 2021-03-02 15:00:00 (10) 2021-03-02 06:00:00 .. "
            "2021-03-02 13:00:00 2021-03-02 10:00:00 .. 2021-03-02 15:00:00 6",
            "scaler: fit on train rows only, 2021-03-01 00:00:00 .. 2021-03-01 19:00:00 (20 rows): "
            "StandardScaler(a: 9.5±5.76628)",
            "check: every target lies inside its own split, and each split's targets come after "
            "the previous split's",
        ]
    )


def test_lookback_lets_inputs_read_the_previous_split(tmp_path):
    dm = module(hourly(tmp_path, a=np.arange(40.0)), splits=[20, 10, 10], lookback=True)
    dm.setup()
    val = dm.datasets["val"]
    assert len(val) == 10  # one window per validation target
    assert val.input_rows([0]).tolist() == [[17, 18, 19]] and val.target_rows([0]).tolist() == [
        [20]
    ]
    assert "lookback=true" in dm.describe()


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data file .*nope.csv not found; pass data.path"):
        module(tmp_path / "nope.csv").setup()
    with pytest.raises(FileNotFoundError, match=r"no data file: pass data.path"):
        CSVDataModule(targets="a", input_len=3).setup()


def test_targets_are_required():
    with pytest.raises(ValueError, match=r"data.targets is required"):
        CSVDataModule(path="x.csv", input_len=3)


def test_column_lists_without_repeats_or_emptiness():
    with pytest.raises(ValueError, match=r"data.inputs names 'a' twice"):
        CSVDataModule(path="x.csv", targets=["a"], inputs=["a", "b", "a"], input_len=3)
    with pytest.raises(ValueError, match=r"data.targets names 'a' twice"):
        CSVDataModule(path="x.csv", targets=["a", "a"], input_len=3)
    with pytest.raises(ValueError, match=r"data.inputs is empty.*null"):
        CSVDataModule(path="x.csv", targets=["a"], inputs=[], input_len=3)


def test_a_target_cannot_be_a_known_future_covariate():
    # x_future is read at the target rows: the target there is the answer itself
    with pytest.raises(ValueError, match=r"data.future_columns holds the target 'a'.*leave it out"):
        CSVDataModule(path="x.csv", targets=["a"], future_columns=["b", "a"], input_len=3)


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match=r"empty.csv is empty"):
        module(write(tmp_path, "", "empty.csv")).setup()
    with pytest.raises(ValueError, match=r"header.csv has a header but no data rows"):
        module(write(tmp_path, "time,a\n", "header.csv")).setup()


def test_missing_column(tmp_path):
    path = hourly(tmp_path, a=np.arange(40.0), b=np.ones(40))
    with pytest.raises(
        ValueError,
        match=r"no column 'rain' \(asked for by data.targets\); the file has \['a', 'b'\]",
    ):
        module(path, targets=["rain"], inputs=["a"]).setup()
    with pytest.raises(ValueError, match=r"no column 'date' \(asked for by data.time_column\)"):
        module(path, time_column="date").setup()


def test_non_numeric_cell(tmp_path):
    text = "time,a,b\n2021-01-01,1,1\n2021-01-02,2,2\n2021-01-03,3,n/a?\n2021-01-04,4,4\n"
    with pytest.raises(
        ValueError,
        match=r"line 4: column 'b' \(data.inputs\) holds 'n/a\?', not a number \(1 such cells\); "
        r"fix the file or leave 'b' out of data.inputs",
    ):
        module(write(tmp_path, text), inputs=["a", "b"]).setup()


def test_non_numeric_target_cell_names_the_target(tmp_path):
    # the target is also an input: the message must not suggest leaving it out of the inputs
    text = "time,a\n2021-01-01,1\n2021-01-02,oops\n2021-01-03,3\n"
    for inputs in (None, ["a"]):
        with pytest.raises(
            ValueError,
            match=r"line 3: column 'a' \(the target, data.targets\) holds 'oops', not a number "
            r"\(1 such cells\); the target must be a number on every row",
        ):
            module(write(tmp_path, text), inputs=inputs).setup()


@pytest.mark.parametrize(
    ("cell", "what"),
    [
        ("inf", "not a finite number"),
        ("-1e400", "not a finite number"),  # overflows float64 while parsing
        ("1e300", r"beyond float32's range \(±3.4e\+38\) that the models compute in"),
    ],
)
def test_non_finite_or_overflowing_cell(tmp_path, cell, what):
    text = f"time,a\n2021-01-01,1\n2021-01-02,{cell}\n2021-01-03,3\n2021-01-04,4\n"
    message = rf"line 3: column 'a' \(the target, data.targets\) holds .*{what}"
    with pytest.raises(ValueError, match=message):
        module(write(tmp_path, text), inputs=["a"]).setup()


def test_encoding_latin1(tmp_path):
    path = tmp_path / "latin.csv"
    rows = "".join(f"2021-01-{d:02d},{d},{d % 3}\n" for d in range(1, 31))
    path.write_bytes(("time,a,température\n" + rows).encode("latin-1"))
    with pytest.raises(
        ValueError,
        match=r"latin.csv, line 1: byte 0xe9 is not valid utf-8; set data.encoding .*latin-1",
    ):
        module(path).setup()
    dm = module(path, encoding="latin-1")
    dm.setup()
    assert dm.table.inputs == ["a", "température"]
    with pytest.raises(ValueError, match=r"data.encoding='klingon' is not an encoding"):
        module(path, encoding="klingon").setup()


def test_ragged_row_names_its_line(tmp_path):
    rows = [f"2021-01-{d:02d},{d}" for d in range(1, 31)]
    rows[6] += ",7"
    with pytest.raises(
        ValueError,
        match=r"data.csv, line 8: 3 fields where the header has 2 \(separator ','\); fix that row",
    ):
        module(write(tmp_path, "time,a\n" + "\n".join(rows) + "\n")).setup()


def test_semicolon_separated_file(tmp_path):
    text = "time;a\n" + "".join(f"2021-01-{d:02d};{d}\n" for d in range(1, 31))
    path = write(tmp_path, text)
    with pytest.raises(
        ValueError,
        match=r"line 1: the header is the one column 'time;a' with data.sep=',';"
        r" the file seems separated by ';': set data.sep to it .*\"data.sep=';'\"",
    ):
        module(path).setup()
    dm = module(path, sep=";", scale=False)
    dm.setup()
    assert dm.table.frame["a"].iloc[:3].tolist() == [1.0, 2.0, 3.0]


def test_tab_separated_file_with_the_tab_typed_as_backslash_t(tmp_path):
    path = write(tmp_path, "time\ta\n" + "".join(f"2021-01-{d:02d}\t{d}\n" for d in range(1, 31)))
    with pytest.raises(ValueError, match=r"separated by '\\t': .*\"data.sep='\\t'\""):
        module(path).setup()
    for sep in ("\t", "\\t"):  # Python's tab, and the two characters Hydra hands over
        dm = module(path, sep=sep, scale=False)
        dm.setup()
        assert dm.table.frame["a"].iloc[-1] == 30.0


def test_a_column_named_twice_is_an_error_not_a_renamed_input(tmp_path):
    text = "time,a,a\n" + "".join(f"2021-01-{d:02d},{d},{-d}\n" for d in range(1, 31))
    with pytest.raises(
        ValueError, match=r"line 1: the header names column 'a' twice \(fields 2 and 3\)"
    ):
        module(write(tmp_path, text)).setup()


def test_a_typo_does_not_drop_a_numeric_column_from_the_default_inputs(tmp_path):
    # inputs=null takes every numeric column: one bad cell must not turn "b" into a text column
    text = "time,a,b,note\n2021-01-01,1,2,x\n2021-01-02,2,3..5,y\n2021-01-03,3,4,z\n"
    with pytest.raises(
        ValueError, match=r"line 3: column 'b' \(data.inputs\) holds '3..5', not a number"
    ):
        module(write(tmp_path, text)).setup()


def test_bad_timestamp(tmp_path):
    text = "time,a\n2021-01-01,1\n2021-13-45,2\n"
    with pytest.raises(
        ValueError,
        match=r"line 3: column 'time' holds '2021-13-45', not a timestamp in format '%Y-%m-%d'",
    ):
        module(write(tmp_path, text), time_format="%Y-%m-%d").setup()


def test_empty_cells_are_an_error_listing_the_lines(tmp_path):
    a = np.arange(40.0)
    a[[5, 6, 30]] = np.nan
    path = hourly(tmp_path, a=a)
    with pytest.raises(
        ValueError,
        match=r"3 rows have empty or NaN cells, first at lines \[7, 8, 32\] "
        r"\(line 7: columns \['a'\]\); fix the file or set data.fill",
    ):
        module(path).setup()


@pytest.mark.parametrize(
    ("fill", "expected"), [("ffill", [4.0, 4.0]), ("interpolate", [5.0, 6.0]), ("zero", [0, 0])]
)
def test_fill_policies(tmp_path, fill, expected):
    a = np.arange(40.0)
    a[[5, 6]] = np.nan
    dm = module(hourly(tmp_path, a=a), fill=fill, scale=False)
    dm.setup()
    assert dm.table.frame["a"].iloc[5:7].tolist() == expected
    assert f"filled 2 empty cells (data.fill={fill})" in dm.describe()


def test_fill_cannot_invent_the_first_value(tmp_path):
    a = np.arange(40.0)
    a[0] = np.nan
    with pytest.raises(ValueError, match=r"data.fill=ffill cannot fill 1 rows at the edges"):
        module(hourly(tmp_path, a=a), fill="ffill").setup()


def test_unsorted_timestamps(tmp_path):
    text = "time,a\n2021-01-01,1\n2021-01-03,3\n2021-01-02,2\n2021-01-04,4\n" + "".join(
        f"2021-02-{d:02d},{d}\n" for d in range(1, 21)
    )
    path = write(tmp_path, text)
    with pytest.raises(
        ValueError,
        match=r"line 4: timestamp 2021-01-02 00:00:00 comes after 2021-01-03 00:00:00 "
        r"\(1 such steps back in time\); sort the file or set data.unsorted=sort",
    ):
        module(path).setup()
    dm = module(path, unsorted="sort", scale=False, splits=[12, 6, 6])
    dm.setup()
    assert dm.table.frame["a"].iloc[:4].tolist() == [1, 2, 3, 4]
    assert "sorted by time: 1 rows were earlier than the row before" in dm.describe()
    dates = {
        "train": [None, "2021-02-10"],
        "val": ["2021-02-11", "2021-02-15"],
        "test": [None, None],
    }
    with pytest.raises(ValueError, match=r"needs timestamps in increasing order"):
        module(path, unsorted="keep", splits=dates).setup()


def test_duplicated_timestamps(tmp_path):
    rows = [f"2021-01-{d:02d},{d}" for d in range(1, 31)]
    exact = "time,a\n" + "\n".join(rows[:4] + [rows[3]] + rows[4:8] + [rows[7]] + rows[8:])
    path = write(tmp_path, exact)
    with pytest.raises(
        ValueError,
        match=r"line 6: timestamp 2021-01-04 00:00:00 appears again \(2 repeated timestamps\)",
    ):
        module(path).setup()
    dm = module(path, duplicates="drop")
    dm.setup()
    assert len(dm.table.frame) == 30
    assert "dropped 2 exact duplicate rows" in dm.describe()
    conflict = write(tmp_path, "time,a\n" + "\n".join(rows[:3] + ["2021-01-03,99"] + rows[3:]))

    with pytest.raises(ValueError, match=r"line 5: timestamp 2021-01-03 00:00:00 appears twice"):
        module(conflict, duplicates="drop").setup()


@pytest.mark.parametrize(
    ("option", "value"), [("fill", "mean"), ("unsorted", "ignore"), ("duplicates", "last")]
)
def test_unknown_policies(tmp_path, option, value):
    path = hourly(tmp_path, a=np.arange(40.0))
    with pytest.raises(ValueError, match=rf"data.{option} must be one of .* got '{value}'"):
        module(path, **{option: value}).setup()


def test_split_too_short_for_one_window(tmp_path):
    path = hourly(tmp_path, a=np.arange(40.0))
    with pytest.raises(
        ValueError,
        match=r"the val split has 5 rows \(2021-03-01 20:00:00 .. 2021-03-02 00:00:00\), one "
        r"window needs 8 \(input_len=6, sampling_rate=1, horizon=2, n_ahead=1\)",
    ):
        module(path, input_len=6, horizon=2, splits=[20, 5, 15]).setup()
