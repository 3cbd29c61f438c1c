"""Any CSV a user has: name the time column, the inputs and the targets, and train.

    python train.py data=csv data.path=sales.csv data.time_column=date data.targets=[units]

Cleaning is explicit: unsorted or repeated timestamps, empty cells and non-numeric values are
errors unless ``unsorted``, ``duplicates`` or ``fill`` name a policy, and whatever a policy
repairs is counted in :meth:`describe`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from gatework.datamodules.base import SeriesDataModule, names
from gatework.datamodules.csv_reader import as_numbers, read_raw_csv, unnamed_position
from gatework.datamodules.table import (
    Table,
    check_missing,
    describe_dropped,
    fill_missing,
    frame_with_lines,
    numeric_columns,
    order_rows,
)
from gatework.datamodules.timestamps import spacing_notes

log = logging.getLogger(__name__)


class CSVDataModule(SeriesDataModule):
    """Windows over the numeric columns of one CSV file.

    Args:
        path: the CSV file.
        targets: column(s) to forecast.
        inputs: column(s) the model sees; None takes every numeric column (the time column
            excluded), and the audit names the non-numeric ones left out; a column of numbers
            with a cell that is not one is an error, not a column left out.
        time_column: column holding timestamps; None indexes rows by number (then ``splits``
            must be fractions or row counts).
        time_format: ``strftime`` format of ``time_column`` (None: inferred).
        fill: empty/NaN cells: None (error), ``"ffill"``, ``"interpolate"`` or ``"zero"``.
        unsorted: timestamps going back in time: ``"error"``, ``"sort"`` or ``"keep"``.
        duplicates: repeated timestamps: ``"error"``, ``"drop"`` (exact duplicate rows) or
            ``"keep"``.
        future_columns: known-future covariates, served as ``x_future`` (B, n_ahead, P) read at
            the target rows: only columns whose values are known in advance (calendar, plans).
        encoding: the file's text encoding (``"utf-8"``; ``"latin-1"``, ``"cp1252"``, ...).
        sep: the field separator (``","``; ``";"`` for many European spreadsheets).
        decimal: the decimal mark (``"."``; ``","`` for numbers written ``1003,8``).
        **window: ``input_len``, ``horizon``, ``n_ahead``, ``target_mode``, ``sampling_rate``,
            ``stride``, ``splits``, ``lookback``, ``scale``, ``period``, ``batch_size``,
            ``num_workers`` (see :class:`~gatework.datamodules.base.SeriesDataModule`).
    """

    unscaled_columns: tuple[str, ...] = ()  # one-hot columns a subclass adds, left unscaled

    def __init__(
        self,
        path: str | None = None,
        targets: str | Sequence[str] | None = None,
        inputs: str | Sequence[str] | None = None,
        time_column: str | None = None,
        time_format: str | None = None,
        fill: str | None = None,
        unsorted: str = "error",
        duplicates: str = "error",
        future_columns: str | Sequence[str] | None = None,
        encoding: str = "utf-8",
        sep: str = ",",
        decimal: str = ".",
        input_len: int = 24,
        horizon: int = 1,
        n_ahead: int = 1,
        target_mode: str = "vector",
        sampling_rate: int = 1,
        stride: int = 1,
        splits: Sequence | Mapping = (0.7, 0.15, 0.15),
        lookback: bool = False,
        scale: bool | float = True,
        period: int = 1,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            input_len=input_len,
            horizon=horizon,
            n_ahead=n_ahead,
            target_mode=target_mode,
            sampling_rate=sampling_rate,
            stride=stride,
            splits=splits,
            lookback=lookback,
            scale=scale,
            period=period,
            batch_size=batch_size,
            num_workers=num_workers,
        )
        self.path = path
        self.targets = names(targets, "targets")
        if not self.targets:
            raise ValueError("data.targets is required: the column(s) to forecast, e.g. [sales]")
        self.inputs = names(inputs, "inputs")
        if self.inputs == []:
            raise ValueError(
                "data.inputs is empty: list the column(s) the model sees, or set data.inputs=null "
                "for every numeric column"
            )
        self.time_column = time_column
        self.time_format = time_format
        self.fill = fill
        self.unsorted = unsorted
        self.duplicates = duplicates
        self.future_columns = names(future_columns, "future_columns") or []
        self.encoding = encoding
        self.sep = sep
        self.decimal = decimal
        leaked = [c for c in self.future_columns if c in self.targets]
        if leaked:
            raise ValueError(
                f"data.future_columns holds the target {leaked[0]!r}: x_future is read at the "
                "target rows, so the model would be handed the answer; leave it out of "
                "data.future_columns"
            )

    def local_file(self) -> Path:
        """The file to read (``data.path``)."""
        if self.path is None:
            raise FileNotFoundError("no data file: pass data.path=/path/to/file.csv")
        return Path(self.path).expanduser()

    def adapt(self, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
        """Dataset-specific columns, after ordering and before the numeric checks.

        Returns:
            The frame, extra input columns to append, and notes for the audit.
        """
        return df, [], []

    def load_table(self) -> Table:
        path = self.local_file()
        return self.table_from_frame(
            read_raw_csv(path, self.encoding, self.sep, decimal=self.decimal), path
        )

    def table_from_frame(self, raw: pd.DataFrame, path: Path | str) -> Table:
        """Clean a frame laid out as the file (header names as columns, rows in file order).

        Args:
            raw: the rows, as :func:`~gatework.datamodules.csv_reader.read_raw_csv` reads them.
            path: where they come from, for messages (a file, or a label such as
                ``"<DataFrame>"``).

        Returns:
            The table, with the same cleaning as :meth:`load_table` applies to a file.
        """
        header = [str(c) for c in raw.columns]
        df = frame_with_lines(raw, path, self.time_column, self.time_format)
        notes: list[str] = list(raw.attrs.get("notes", []))  # what reading the file dropped
        if self.decimal != ".":  # a frame read without data.decimal, or built by hand
            for c in df.columns.drop("_line"):
                numbers = as_numbers(df[c], self.decimal)
                if numbers.notna().sum() == df[c].notna().sum() > 0:
                    df[c] = numbers
        if self.time_column is not None:
            df, ordered = order_rows(df, path, self.unsorted, self.duplicates)
            spacing = spacing_notes(df.index)
            if spacing:
                log.warning("%s: %s", path, "; ".join(spacing))
            notes += ordered + spacing
        df, extra, more = self.adapt(df, path)
        notes += more
        if self.inputs is None:
            inputs = [
                c for c in df.columns if c != "_line" and pd.api.types.is_numeric_dtype(df[c])
            ]
            mixed = [  # numbers with a bad cell among them: an error, not a dropped column
                c
                for c in df.columns
                if c != "_line"
                and c not in inputs
                and as_numbers(df[c], self.decimal).notna().any()
            ]
            refuse_unnamed([*inputs, *mixed], path)
            numeric_columns(
                df, mixed, path, "data.inputs", self.targets, self.decimal
            )  # raises at a bad cell
            notes += describe_dropped(df, inputs)
        else:
            inputs = list(self.inputs)
        inputs += [c for c in extra if c not in inputs]
        values = numeric_columns(df, inputs, path, "data.inputs", self.targets, self.decimal)
        extra_targets = [t for t in self.targets if t not in inputs]
        if extra_targets:
            values = values.join(
                numeric_columns(df, extra_targets, path, "data.targets", self.targets, self.decimal)
            )
        extra_future = [c for c in self.future_columns if c not in values.columns]
        if extra_future:
            values = values.join(
                numeric_columns(df, extra_future, path, "data.future_columns", decimal=self.decimal)
            )
        check_missing(values, df["_line"], path, self.fill)
        values, filled = fill_missing(values, self.fill, path)
        return Table(
            values,
            inputs,
            list(self.targets),
            unscaled=self.unscaled_columns,
            future=list(self.future_columns),
            notes=notes + filled,
            source=str(path),
            columns=header,
        )


def refuse_unnamed(columns: Sequence[str], path: Path | str) -> None:
    """Refuse a column holding values under an empty header name (pandas calls it
    ``Unnamed: 4``): it would be an input whose name the file does not give."""
    for column in columns:
        position = unnamed_position(column)
        if position is not None:
            raise ValueError(
                f"{path}, line 1: the header has an empty name at column position {position}, "
                "whose column holds values; name it in the header, or leave it out by listing "
                "the columns to use in data.inputs"
            )
