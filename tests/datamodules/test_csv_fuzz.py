"""Random malformed CSV files: each gives a working datamodule or a documented, helpful error.

Hypothesis writes files from pieces that break readers: repeated or empty header names, rows
with a field too many or too few, other separators, Latin-1 bytes, text, NaN, inf and huge
numbers in number columns, timestamps out of order or repeated. ``setup()`` must then either
succeed with finite windows, or raise a plain ``ValueError`` (``FileNotFoundError`` for a missing
file) whose message points at the file or at the ``data.`` option to change: never a pandas,
NumPy or decoding exception leaking through, and never a half-built datamodule.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatework.datamodules import CSVDataModule

NAMES = st.sampled_from(["time", "a", "b", "a", "", " b", "é", "a;b", "y"])
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(["", "nan", "inf", "-inf", "1e300", "x", "é", "2021-01-01", '"1,5"', "1;2"]),
)


@st.composite
def csv_files(draw) -> tuple[bytes, dict]:
    """A file that is mostly well formed, with zero or more faults drawn per file."""
    if draw(st.integers(0, 4)):  # most files: a sound header
        more = draw(st.sampled_from([[], ["b"], ["b", "y"]]))
        names = draw(st.permutations(["time", "a", *more]))
    else:
        names = draw(st.lists(NAMES, min_size=1, max_size=4))
    sep = draw(st.sampled_from([",", ",", ";", "\t"]))
    n_rows = draw(st.integers(0, 30))
    odd_cells = draw(st.sampled_from([0, 0, 1, 3, 10]))  # percent of cells drawn from CELLS
    ragged = draw(st.sampled_from([None, None, None, None, draw(st.integers(0, 30))]))
    time_fault = draw(st.sampled_from([None, None, "back", "repeat"]))
    start = np.datetime64("2021-01-01T00")
    lines = [sep.join(names)]
    for r in range(n_rows):
        cells = []
        for name in names:
            if draw(st.integers(0, 99)) < odd_cells:
                cells.append(draw(CELLS))
            elif name == "time":
                hour = r - 2 * (time_fault == "back" and r == 5)
                hour -= time_fault == "repeat" and r == 7
                cells.append(str(start + np.timedelta64(hour, "h")))
            else:
                cells.append(repr(float(r % 7 + draw(st.integers(0, 3)))))
        if r == ragged:
            cells = cells[:-1] if draw(st.booleans()) else [*cells, "1"]
        lines.append(sep.join(cells))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1"]))
    data = ("\n".join(lines) + "\n").encode(encoding, errors="replace")
    options = dict(
        targets=[draw(st.sampled_from(["a", "a", "a", "b"]))],
        inputs=draw(st.sampled_from([None, ["a"], ["a", "b"]])),
        time_column=draw(st.sampled_from([None, "time", "time"])),
        fill=draw(st.sampled_from([None, None, "ffill", "zero"])),
        unsorted=draw(st.sampled_from(["error", "sort"])),
        duplicates=draw(st.sampled_from(["error", "drop"])),
        sep=draw(st.sampled_from([sep, sep, ","])),
        encoding=draw(st.sampled_from(["utf-8", encoding])),
    )
    return data, options


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(csv_files())
def test_random_malformed_files_give_a_datamodule_or_a_documented_error(case):
    data, options = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        dm = CSVDataModule(path=str(path), input_len=2, splits=[0.5, 0.25, 0.25], **options)
        try:
            dm.setup()
        except (ValueError, FileNotFoundError) as err:
            assert type(err) in (ValueError, FileNotFoundError), repr(err)  # not a subclass
            message = str(err)
            assert str(path) in message or "data." in message, message
            assert not dm.datasets  # nothing half-built is left behind
            return
    assert dm.spec is not None and set(dm.datasets) == {"train", "val", "test"}
    for dataset in dm.datasets.values():
        assert len(dataset) > 0
        x, y = dataset[len(dataset) - 1][:2]
        assert np.isfinite(x.numpy()).all() and np.isfinite(y.numpy()).all()


@pytest.mark.parametrize(
    "text", ["", "\n", "time,a\n", "a\n\n\n", '"unterminated\n1\n', "\x00\x01\x02\n1,2\n"]
)
def test_degenerate_files(tmp_path, text):
    path = tmp_path / "odd.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as err:
        CSVDataModule(path=str(path), targets="a", input_len=2).setup()
    assert type(err.value) is ValueError and str(path) in str(err.value)
