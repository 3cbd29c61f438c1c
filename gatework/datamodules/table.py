"""Reading a CSV into a clean numeric table, refusing bad input loudly.

Every problem is an error naming the file, the column, the line and the fix, unless an explicit
policy says otherwise; every repair a policy makes is counted in the notes the audit prints.
Line numbers are those of the file (the header is line 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gatework.datamodules.csv_reader import DECIMAL_COMMA, as_numbers
from gatework.datamodules.timestamps import parse_times

FILL_POLICIES = (None, "ffill", "interpolate", "zero")
UNSORTED_POLICIES = ("error", "sort", "keep")
DUPLICATE_POLICIES = ("error", "drop", "keep")


@dataclass
class Table:
    """A cleaned table and what was done to it.

    Args:
        frame: numeric columns, indexed by timestamp (DatetimeIndex) or row number.
        inputs: input column names, in order.
        targets: target column names, in order.
        unscaled: columns the scaler leaves alone (one-hot encodings).
        future: known-future covariates, read at the target rows into ``x_future``.
        notes: one line per repair or remark, for the audit.
        source: where the data came from, for the audit.
        columns: the columns of the source file as its header names them (empty when the data
            does not come from a file): a file to forecast from must have the same.
    """

    frame: pd.DataFrame
    inputs: list[str]
    targets: list[str]
    unscaled: tuple[str, ...] = ()
    future: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""
    columns: list[str] = field(default_factory=list)


def frame_with_lines(
    raw: pd.DataFrame, path, time_column: str | None = None, time_format: str | None = None
) -> pd.DataFrame:
    """Number a raw frame's rows as lines of its file; with ``time_column``, index it by time.

    Args:
        raw: the rows as read from the file (or a frame laid out like it).
        path: the file, for messages.
        time_column: column holding timestamps, or None to index rows by number.
        time_format: ``strftime`` format of the timestamps (e.g. ``"%d.%m.%Y %H:%M:%S"``);
            None lets pandas infer it.

    Returns:
        A copy, rows in file order, with a ``_line`` column holding each row's line number
        (the header is line 1).
    """
    df = raw.copy()
    df["_line"] = np.arange(2, len(df) + 2)
    if time_column is None:
        return df
    _require(df, [time_column], path, "data.time_column")
    times = parse_times(df.pop(time_column), df["_line"], path, time_column, time_format)
    df.index = pd.DatetimeIndex(times, name=time_column)
    return df


def _require(df: pd.DataFrame, columns: Sequence[str], path, option: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        available = [c for c in df.columns if c != "_line"]
        raise ValueError(
            f"{path}: no column {missing[0]!r} (asked for by {option}); the file has {available}"
        )


FLOAT32_MAX = float(np.finfo(np.float32).max)  # models compute in float32: ±3.4e38


def numeric_columns(
    df: pd.DataFrame,
    columns: Sequence[str],
    path,
    option: str,
    targets: Sequence[str] = (),
    decimal: str = ".",
) -> pd.DataFrame:
    """The given columns as float64, or an error at the first cell that is not a finite number
    within float32's range (the models compute in float32).

    Args:
        df: the frame from :func:`frame_with_lines` (with its ``_line`` column).
        columns: names to convert.
        path: the file, for messages.
        option: the config option that asked for these columns, for messages.
        targets: the target columns: a bad cell there is named as the target's.
        decimal: the file's decimal mark (``data.decimal``).

    Returns:
        The columns as float64, same index. Shape: (N, len(columns)).
    """
    _require(df, columns, path, option)
    out = {}
    for c in columns:
        role = "the target, data.targets" if c in targets else option
        if df[c].isna().all():
            fix = "choose another target" if c in targets else f"leave it out of {option}"
            raise ValueError(
                f"{path}: column {c!r} ({role}) is empty: no value on any of its {len(df):,} "
                f"rows; fill it in the file, or {fix}"
            )
        values = as_numbers(df[c], decimal)
        magnitude = values.abs().to_numpy(np.float64)
        checks = (
            (
                (values.isna() & df[c].notna()).to_numpy(),
                "not a number",
                "the target must be a number on every row: fix the file"
                if c in targets
                else f"fix the file or leave {c!r} out of {option}",
            ),
            (
                np.isinf(magnitude),
                "not a finite number",
                "fix the file, or empty these cells and set data.fill",
            ),
            (
                np.isfinite(magnitude) & (magnitude > FLOAT32_MAX),
                f"beyond float32's range (±{FLOAT32_MAX:.3g}) that the models compute in",
                "fix the file, or rescale the column",
            ),
        )
        for bad, what, fix in checks:
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                if decimal == "." and DECIMAL_COMMA.fullmatch(str(df[c].iloc[i]).strip()):
                    fix = (
                        "it looks like a number with a decimal comma: set data.decimal=',' (on "
                        "the command line, quoted for the shell and Hydra: \"data.decimal=','\")"
                    )
                raise ValueError(
                    f"{path}, line {df['_line'].iloc[i]}: column {c!r} ({role}) holds "
                    f"{str(df[c].iloc[i])!r}, {what} ({int(bad.sum())} such cells); {fix}"
                )
        out[c] = values.astype(np.float64)
    return pd.DataFrame(out, index=df.index)


def check_missing(values: pd.DataFrame, lines: pd.Series, path, fill: str | None) -> None:
    """Refuse NaN or empty cells unless ``fill`` names a policy.

    Args:
        values: the numeric columns. Shape: (N, C).
        lines: each row's line in the file. Shape: (N,).
        path: the file, for messages.
        fill: the ``data.fill`` policy, or None.
    """
    if fill not in FILL_POLICIES:
        raise ValueError(f"data.fill must be one of {FILL_POLICIES}, got {fill!r}")
    missing = values.isna().any(axis=1).to_numpy()
    if missing.any() and fill is None:
        rows = np.flatnonzero(missing)
        cells = values.iloc[rows[0]]
        raise ValueError(
            f"{path}: {int(missing.sum())} rows have empty or NaN cells, first at lines "
            f"{lines.iloc[rows[:5]].tolist()} (line {lines.iloc[rows[0]]}: columns "
            f"{cells[cells.isna()].index.tolist()}); fix the file or set data.fill to one of "
            f"{FILL_POLICIES[1:]}"
        )


def fill_missing(values: pd.DataFrame, fill: str | None, path) -> tuple[pd.DataFrame, list[str]]:
    """Apply the ``data.fill`` policy, rows in time order.

    Args:
        values: the numeric columns. Shape: (N, C).
        fill: ``"ffill"``, ``"interpolate"`` (linear, inside the series only), ``"zero"`` or None.
        path: the file, for messages.

    Returns:
        The filled frame and a note counting the filled cells (empty when nothing was filled).
    """
    n = int(values.isna().to_numpy().sum())
    if n == 0 or fill is None:
        return values, []
    if fill == "zero":
        out = values.fillna(0.0)
    elif fill == "ffill":
        out = values.ffill()
    else:
        out = values.interpolate(method="linear", limit_area="inside")
    left = out.isna().any(axis=1).to_numpy()
    if left.any():
        raise ValueError(
            f"{path}: data.fill={fill} cannot fill {int(left.sum())} rows at the edges of the "
            f"series (first at {out.index[np.flatnonzero(left)[0]]}); use data.fill=zero or "
            "trim the file"
        )
    return out, [f"filled {n:,} empty cells (data.fill={fill})"]


def order_rows(
    df: pd.DataFrame, path, unsorted: str, duplicates: str
) -> tuple[pd.DataFrame, list[str]]:
    """Apply the ``unsorted`` and ``duplicates`` policies to a timestamp-indexed frame.

    ``duplicates="drop"`` removes exact duplicate rows only (same timestamp, same values); a
    timestamp repeated with different values is always an error, since there is no way to know
    which row is right.

    Args:
        df: the frame from :func:`frame_with_lines`, indexed by timestamp.
        path: the file, for messages.
        unsorted: ``"error"``, ``"sort"`` (stable) or ``"keep"``.
        duplicates: ``"error"``, ``"drop"`` or ``"keep"``.

    Returns:
        The frame and the notes describing what was found and done.
    """
    if unsorted not in UNSORTED_POLICIES:
        raise ValueError(f"data.unsorted must be one of {UNSORTED_POLICIES}, got {unsorted!r}")
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"data.duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    notes: list[str] = []
    t = df.index.to_numpy()
    back = np.flatnonzero(t[1:] < t[:-1]) + 1
    if len(back):
        if unsorted == "error":
            i = back[0]
            raise ValueError(
                f"{path}, line {df['_line'].iloc[i]}: timestamp {df.index[i]} comes after "
                f"{df.index[i - 1]} ({len(back)} such steps back in time); sort the file or set "
                "data.unsorted=sort"
            )
        if unsorted == "sort":
            df = df.sort_index(kind="stable")
            notes.append(f"sorted by time: {len(back):,} rows were earlier than the row before")
        else:
            notes.append(f"kept file order: {len(back):,} rows are earlier than the row before")
    dup = df.index.duplicated(keep="first")
    if dup.any():
        if duplicates == "error":
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(
                f"{path}, line {df['_line'].iloc[i]}: timestamp {df.index[i]} appears again "
                f"({int(dup.sum())} repeated timestamps); remove them or set data.duplicates=drop "
                "(exact duplicate rows only)"
            )
        if duplicates == "drop":
            content = df.drop(columns="_line").reset_index()
            exact = content.duplicated(keep="first").to_numpy()
            conflict = df.index.duplicated(keep="first") & ~exact
            if conflict.any():
                i = int(np.flatnonzero(conflict)[0])
                raise ValueError(
                    f"{path}, line {df['_line'].iloc[i]}: timestamp {df.index[i]} appears twice "
                    "with different values; data.duplicates=drop only removes exact duplicate "
                    "rows, so fix the file"
                )
            df = df[~exact]
            notes.append(f"dropped {int(exact.sum()):,} exact duplicate rows")
        else:
            notes.append(f"kept {int(dup.sum()):,} rows whose timestamp repeats an earlier one")
    return df, notes


def describe_dropped(df: pd.DataFrame, used: Sequence[str]) -> list[str]:
    """A note naming the non-numeric columns left out when inputs default to all numeric ones.

    Args:
        df: the frame from :func:`frame_with_lines`.
        used: the columns taken as inputs.

    Returns:
        Zero or one note for the audit.
    """
    skipped = [
        c
        for c in df.columns
        if c != "_line" and c not in used and not pd.api.types.is_numeric_dtype(df[c])
    ]
    return [f"not numeric, not used: {skipped}"] if skipped else []
