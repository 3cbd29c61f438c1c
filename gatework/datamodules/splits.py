"""Chronological splits: train, then validation, then test, as half-open row ranges.

Three ways to say where the splits are (the ``data.splits`` option):

* fractions, a list of three floats summing to at most 1: ``[0.5, 0.25, 0.25]``. Sizes are
  ``int(f * N)`` for train and validation, as in Chollet's Jena recipe, and the rest for test
  when the fractions sum to 1;
* row counts, a list of three integers: ``[7000, 2000, 1000]``;
* dates, a mapping ``{train: [first, last], val: [first, last], test: [first, last]}``. Bounds are
  inclusive and follow pandas' partial-string indexing, so ``["2016-01", "2018-12"]`` is
  2016-01-01 through 2018-12-31 (Géron's ``df["2016-01":"2018-12"]``); ``null`` leaves a bound open.

Splits never overlap and keep their order; rows between or before them are simply unused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

SPLIT_NAMES = ("train", "val", "test")


class RowRange(NamedTuple):
    """Rows ``start <= row < stop`` of one split."""

    start: int
    stop: int

    def __len__(self) -> int:  # type: ignore[override]
        return self.stop - self.start


def split_rows(index: pd.Index, splits: Sequence | Mapping) -> dict[str, RowRange]:
    """Turn a ``data.splits`` value into one row range per split.

    Args:
        index: the table's row labels (a sorted DatetimeIndex for date splits). Shape: (N,).
        splits: fractions, row counts or date bounds (see the module docstring).

    Returns:
        ``{"train": RowRange, "val": RowRange, "test": RowRange}``, ordered and disjoint.
    """
    n = len(index)
    if isinstance(splits, Mapping):
        ranges = _by_date(index, splits)
    elif isinstance(splits, Sequence) and not isinstance(splits, str) and len(splits) == 3:
        values = list(splits)
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            ranges = _by_count(n, [int(v) for v in values])
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            ranges = _by_fraction(n, [float(v) for v in values])
        else:
            raise ValueError(f"data.splits must hold three numbers, got {values!r}")
    else:
        raise ValueError(
            "data.splits must be three fractions ([0.7, 0.15, 0.15]), three row counts "
            "([7000, 2000, 1000]) or date bounds ({train: [first, last], val: ..., test: ...}), "
            f"got {splits!r}"
        )
    for name, rows in ranges.items():
        if len(rows) < 1:
            raise ValueError(
                f"data.splits gives the {name} split no rows ({splits!r} on {n} rows); widen it"
            )
    return ranges


def _by_fraction(n: int, fractions: list[float]) -> dict[str, RowRange]:
    if any(f < 0 for f in fractions) or sum(fractions) > 1 + 1e-9:
        raise ValueError(
            f"data.splits fractions must be >= 0 and sum to at most 1, got {fractions} "
            f"(sum {sum(fractions):g})"
        )
    n_train, n_val = int(fractions[0] * n), int(fractions[1] * n)
    n_test = n - n_train - n_val if abs(sum(fractions) - 1) < 1e-9 else int(fractions[2] * n)
    return _by_count(n, [n_train, n_val, n_test])


def _by_count(n: int, counts: list[int]) -> dict[str, RowRange]:
    if any(c < 0 for c in counts) or sum(counts) > n:
        raise ValueError(
            f"data.splits row counts {counts} need {sum(counts)} rows, the data has {n}; "
            "lower them or use fractions"
        )
    bounds = np.cumsum([0, *counts])
    return {
        name: RowRange(int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(SPLIT_NAMES)
    }


def _by_date(index: pd.Index, splits: Mapping) -> dict[str, RowRange]:
    if set(splits) != set(SPLIT_NAMES):
        raise ValueError(
            f"data.splits by date needs exactly the keys {SPLIT_NAMES}, got {sorted(splits)}"
        )
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(
            "data.splits by date needs timestamps: set data.time_column, or give row counts "
            "or fractions instead"
        )
    if not index.is_monotonic_increasing:
        raise ValueError(
            "data.splits by date needs timestamps in increasing order; sort the file or set "
            "data.unsorted=sort"
        )
    ranges = {}
    for name in SPLIT_NAMES:
        bounds = splits[name]
        if isinstance(bounds, str) or not isinstance(bounds, Sequence) or len(bounds) != 2:
            raise ValueError(
                f"data.splits.{name} must be [first, last] dates (null for open), got {bounds!r}"
            )
        first, last = (None if b is None else str(b) for b in bounds)
        try:
            rows = index.slice_indexer(first, last)
        except (ValueError, TypeError, KeyError) as err:
            raise ValueError(f"data.splits.{name}: cannot read dates {bounds!r}: {err}") from err
        start, stop, _ = rows.indices(len(index))
        ranges[name] = RowRange(start, max(start, stop))
    for before, after in zip(SPLIT_NAMES, SPLIT_NAMES[1:], strict=False):
        if ranges[after].start < ranges[before].stop:
            raise ValueError(
                f"data.splits: {after} starts before {before} ends "
                f"({splits[after][0]!r} <= {splits[before][1]!r}); splits must be in time order "
                "and must not overlap"
            )
    return ranges
