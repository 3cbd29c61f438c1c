"""The time column: parsing it (naming the rows in another format) and checking its spacing.

Windows, forecast steps and ``data.period`` count rows, not time: a file with missing timestamps
gives windows that span irregular time. The spacing is not repaired (business days, or a gap the
user accepts, are legitimate), but an irregular one is said in the audit and the log.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

SHOWN_LINES = 5  # bad lines listed in a message


def parse_times(raw: pd.Series, lines: pd.Series, path, column: str, fmt: str | None) -> pd.Series:
    """Timestamps of a column, or an error naming the rows that are not timestamps.

    With no ``fmt``, pandas infers the format from the first row; when most rows parse under
    another format (the first row being the odd one), the rows outside that majority format are
    the ones reported.

    Args:
        raw: the column as read. Shape: (N,).
        lines: each row's line in the file. Shape: (N,).
        path: the file, for messages.
        column: the column's name (``data.time_column``).
        fmt: ``strftime`` format, or None to infer it.

    Returns:
        The parsed timestamps. Shape: (N,).
    """
    times = pd.to_datetime(raw, format=fmt, errors="coerce")
    bad = times.isna().to_numpy()
    if not bad.any():
        return times
    described = repr(fmt) if fmt else "inferred from the first row"
    if fmt is None:
        majority = _majority_format(raw, bad)
        if majority is not None:
            fmt, times = majority
            bad = times.isna().to_numpy()
            described = f"{fmt!r} of {len(raw) - int(bad.sum()):,} of the {len(raw):,} rows"
            if not bad.any():  # the first row was ambiguous: it parses under the majority's too
                return times
    rows = np.flatnonzero(bad)
    i = int(rows[0])
    raise ValueError(
        f"{path}, line {lines.iloc[i]}: column {column!r} holds {raw.iloc[i]!r}, not a timestamp "
        f"in format {described} ({len(rows):,} such row{'s' if len(rows) > 1 else ''}, at lines "
        f"{lines.iloc[rows[:SHOWN_LINES]].tolist()}{' ...' if len(rows) > SHOWN_LINES else ''}); "
        "write these rows as the others, or set data.time_format"
    )


def _majority_format(raw: pd.Series, bad: np.ndarray) -> tuple[str, pd.Series] | None:
    """The format, guessed from the first row and from the first failing row, that parses more
    rows than pandas' inference did, with its parse; None when none does."""
    best = None
    most = int((~bad).sum())
    for value in (raw.iloc[0], raw.iloc[int(np.flatnonzero(bad)[0])]):
        fmt = guess_datetime_format(str(value))
        if fmt is None:
            continue
        times = pd.to_datetime(raw, format=fmt, errors="coerce")
        ok = int(times.notna().sum())
        if ok > most:
            best, most = (fmt, times), ok
    return best


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'s' if n != 1 else ''}"


def _span(step: pd.Timedelta) -> str:
    return str(step).removeprefix("0 days ")


def _stamp(t: pd.Timestamp) -> str:
    return str(t.date()) if t == t.normalize() else str(t)


def regular_frequency(times: pd.DatetimeIndex) -> str | None:
    """The pandas frequency of the timestamps (``"D"``, ``"B"``, ``"h"``, ``"MS"``, ...), None
    when there is none."""
    with warnings.catch_warnings():  # pandas 3 announces an offset instead of a string
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(times)
    return None if freq is None else getattr(freq, "freqstr", str(freq))  # an offset in pandas 3


def _usual_frequency(times: pd.DatetimeIndex, pieces: int = 25, size: int = 8) -> str | None:
    """The frequency most stretches of ``size`` consecutive timestamps follow (a regular series
    with gaps), or None."""
    starts = np.unique(np.linspace(0, len(times) - size, pieces).astype(int))
    found = Counter(regular_frequency(times[s : s + size]) for s in starts)
    found.pop(None, None)
    return found.most_common(1)[0][0] if found else None


def spacing_notes(index: pd.Index) -> list[str]:
    """Audit notes saying that the timestamps are irregularly spaced: no pandas frequency fits.

    Regular series, business days (``"B"``) and calendar frequencies (months, ...) included, give
    no note; so does a row-numbered index or fewer than 3 distinct timestamps.

    Args:
        index: the table's index, in its final row order.

    Returns:
        No note, or two: what is irregular (the gaps at the usual step: how many, the largest and
        the first, as the timestamps missing), and what to do.
    """
    if not isinstance(index, pd.DatetimeIndex):
        return []
    times = index.unique().sort_values()
    if len(times) < 3 or regular_frequency(times) is not None:
        return []
    advice = (
        "windows, forecast steps and data.period count rows, not time: resample or fill the "
        "file to a regular step, or accept the gaps if they are meant (e.g. closed days)"
    )
    step = _usual_frequency(times) if len(times) >= 8 else None
    if step is None:
        steps = pd.Series(times[1:] - times[:-1])
        return [
            f"irregular spacing: no pandas frequency fits the timestamps; steps between rows "
            f"range from {_span(steps.min())} to {_span(steps.max())} (most often "
            f"{_span(steps.mode()[0])})",
            advice,
        ]
    grid = pd.date_range(times[0], times[-1], freq=step)
    missing = grid.get_indexer(grid.difference(times))  # positions in the grid, increasing
    runs = np.split(missing, np.flatnonzero(np.diff(missing) > 1) + 1) if len(missing) else []
    parts = []
    if runs:
        largest = max(runs, key=len)

        def gap(run: np.ndarray) -> str:
            first, last = _stamp(grid[run[0]]), _stamp(grid[run[-1]])
            return f"{first if len(run) == 1 else f'{first} .. {last}'} ({len(run):,} missing)"

        if len(runs) == 1:
            parts.append(f"{_count(len(missing), 'timestamp')} missing in one gap, {gap(runs[0])}")
        else:
            parts.append(
                f"{_count(len(missing), 'timestamp')} missing in {len(runs):,} gaps, the first "
                f"{gap(runs[0])}, the largest {gap(largest)}"
            )
    off = times.difference(grid)
    if len(off):
        parts.append(f"{_count(len(off), 'timestamp')} off that step, the first {_stamp(off[0])}")
    return [
        f"irregular spacing at the usual step {step!r} (pandas frequency): " + "; ".join(parts),
        advice,
    ]
