"""Parsing a CSV file into a raw frame, every failure an error that names the file and the line.

pandas' own failures are translated: bytes the encoding cannot decode (``data.encoding``), a row
with more fields than the header (``data.sep`` when the file is not comma-separated), a header
that names a column twice (pandas would rename the copy ``y.1`` and use it silently), a header
that looks separated by something else than ``data.sep``. A column with neither a header name
nor a value (a separator at the end of the header) is dropped; numbers may be written with a
decimal comma (``data.decimal``).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pandas as pd

OTHER_SEPARATORS = (";", "\t", "|")
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")  # 1003,8: a number as many European files write it


def as_numbers(column: pd.Series, decimal: str = ".") -> pd.Series:
    """A column's cells as numbers, NaN where a cell is not one; text cells read with the
    file's ``decimal`` mark (a column with one text cell is left as text by pandas)."""
    if decimal != "." and not pd.api.types.is_numeric_dtype(column):
        column = column.map(lambda v: v.replace(decimal, ".") if isinstance(v, str) else v)
    return pd.to_numeric(column, errors="coerce")


def _decode_error(path: Path, encoding: str) -> ValueError:
    """Where in the file ``encoding`` fails, as a line number and the offending byte."""
    raw = path.read_bytes()
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        byte = raw[err.start : err.start + 1].hex()
        return ValueError(
            f"{path}, line {line}: byte 0x{byte} is not valid {encoding}; set data.encoding to "
            "the file's encoding (data.encoding=latin-1 and data.encoding=cp1252 are common "
            "for files saved by spreadsheet programs)"
        )
    return ValueError(f"{path}: cannot be read as {encoding}; set data.encoding")


def _parser_error(path: Path, sep: str, err: Exception) -> ValueError:
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
    if ragged:
        expected, line, saw = ragged.groups()
        return ValueError(
            f"{path}, line {line}: {saw} fields where the header has {expected} (separator "
            f"{sep!r}); fix that row (a stray separator, or a value holding one without quotes), "
            "or set data.sep if the file is separated by another character"
        )
    return ValueError(f"{path}: cannot be parsed as CSV with data.sep={sep!r} ({err})")


def check_header(names: list[str], path: Path, sep: str) -> None:
    """Refuse a header that names a column twice, or that seems split by another separator."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise ValueError(
                f"{path}, line 1: the header names column {name!r} twice (fields "
                f"{seen[name]} and {position}); rename one, so that each column has its own name"
            )
        seen[name] = position
    if len(names) == 1:
        other = [s for s in OTHER_SEPARATORS if s != sep and s in names[0]]
        if other:
            typed = other[0].replace("\t", "\\t")
            raise ValueError(
                f"{path}, line 1: the header is the one column {names[0]!r} with data.sep="
                f"{sep!r}; the file seems separated by {other[0]!r}: set data.sep to it (on "
                f"the command line, quoted for the shell and for Hydra: \"data.sep='{typed}'\")"
            )


def read_raw_csv(
    path: str | Path,
    encoding: str = "utf-8",
    sep: str = ",",
    hint: str = "pass data.path=/path/to/file.csv",
    decimal: str = ".",
) -> pd.DataFrame:
    """Read a CSV file as pandas does, with its failures turned into errors that say what to do.

    Args:
        path: the file.
        encoding: its text encoding (``data.encoding``).
        sep: the field separator (``data.sep``).
        hint: what to tell the user when the file is missing.
        decimal: the decimal mark of its numbers (``data.decimal``: ``","`` for ``1003,8``).

    Returns:
        The frame, columns named as in the header (which has no name twice), rows in file order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file cannot be decoded or parsed, or has a bad header; the message names
            the file and, where there is one, the line.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} not found; {hint}")
    if not isinstance(sep, str) or not sep:
        raise ValueError(f"data.sep must be a non-empty string such as ',' or ';', got {sep!r}")
    if not isinstance(decimal, str) or len(decimal) != 1:
        raise ValueError(f"data.decimal must be one character such as '.' or ',', got {decimal!r}")
    sep = "\t" if sep == "\\t" else sep  # a tab typed as backslash-t on the command line
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as err:
        raise ValueError(
            f"data.encoding={encoding!r} is not an encoding Python knows (e.g. utf-8, latin-1)"
        ) from err
    options = dict(encoding=encoding, sep=sep, decimal=decimal, skipinitialspace=True)
    try:
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, na_filter=False, **options)
        frame = pd.read_csv(path, **options)
    except UnicodeError as err:
        raise _decode_error(path, encoding) from err
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"{path} is empty; it needs a header line and data rows") from err
    except pd.errors.ParserError as err:
        raise _parser_error(path, sep, err) from err
    check_header([str(v) for v in header.iloc[0] if v != ""], path, sep)
    if frame.empty:
        raise ValueError(f"{path} has a header but no data rows")
    return drop_empty_unnamed(frame, [str(v) for v in header.iloc[0]])


UNNAMED = re.compile(r"Unnamed: (\d+)")  # pandas' name for a column whose header field is empty


def unnamed_position(column: str) -> int | None:
    """The position (1 = first) of a column pandas named for an empty header field, else None."""
    match = UNNAMED.fullmatch(str(column))
    return int(match.group(1)) + 1 if match else None


def drop_empty_unnamed(frame: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """Drop the columns with neither a header name nor a value (a trailing separator, as
    spreadsheet exports write): nothing is lost. The audit note goes in ``frame.attrs["notes"]``.
    """
    empty = [
        column
        for name, column in zip(header, frame.columns, strict=False)
        if name == "" and frame[column].isna().all()
    ]
    if not empty:
        return frame
    positions = [unnamed_position(c) for c in empty]
    frame = frame.drop(columns=empty)
    where = f"column {positions[0]}" if len(empty) == 1 else f"columns {positions}"
    frame.attrs["notes"] = [
        f"dropped {where}: no header name and no value (a separator at the end of the header "
        "gives one)"
    ]
    return frame
