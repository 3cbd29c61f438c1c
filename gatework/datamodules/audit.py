"""The leakage audit: which rows each split's inputs, targets and the scaler actually touch.

``datamodule.describe()`` returns this text and the training log prints it, so a reader can check
by eye that validation targets start after training targets end, that no target crosses its
split's end, and that the scaler saw the training rows only. :func:`check_split` enforces the
same rules and raises if a window ever breaks them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gatework.datamodules.splits import RowRange
from gatework.datamodules.windows import WindowDataset


@dataclass(frozen=True)
class SplitAudit:
    """Rows used by one split's windows (all bounds inclusive)."""

    name: str
    rows: RowRange
    first_input: int
    last_input: int
    first_target: int
    last_target: int
    windows: int


def check_split(name: str, rows: RowRange, dataset: WindowDataset, input_lo: int) -> SplitAudit:
    """Measure a split's windows and raise if any reads a row it must not.

    Args:
        name: ``"train"``, ``"val"`` or ``"test"``.
        rows: the split's rows.
        dataset: its windows (starts in increasing order).
        input_lo: earliest row inputs may read (``rows.start`` without lookback).

    Returns:
        The measured :class:`SplitAudit`.
    """
    n = len(dataset)
    first, last = [0], [n - 1]
    inputs_first = int(dataset.input_rows(first).min())
    inputs_last = int(dataset.input_rows(last).max())
    targets_first = int(dataset.target_rows(first).min())
    targets_last = int(dataset.target_rows(last).max())
    if targets_first < rows.start or targets_last >= rows.stop:
        raise RuntimeError(
            f"{name} targets read rows {targets_first}..{targets_last}, outside the split "
            f"{rows.start}..{rows.stop - 1}"
        )
    if inputs_first < input_lo or inputs_last >= rows.stop:
        raise RuntimeError(
            f"{name} inputs read rows {inputs_first}..{inputs_last}, allowed "
            f"{input_lo}..{rows.stop - 1}"
        )
    return SplitAudit(name, rows, inputs_first, inputs_last, targets_first, targets_last, n)


def format_audit(
    header: list[str],
    splits: list[SplitAudit],
    scaler_line: str,
    label: Callable[[int], str],
) -> str:
    """Render the audit as aligned text.

    Args:
        header: lines about the source, the cleaning and the window layout.
        splits: one audit per split, in time order.
        scaler_line: what the scaler was fit on.
        label: row number -> timestamp or row label.

    Returns:
        The audit, one line per fact.
    """

    def span(a: int, b: int) -> str:
        return f"{label(a)} .. {label(b)}"

    rows = [("split", "rows", "inputs read", "targets read", "windows")]
    for s in splits:
        rows.append(
            (
                s.name,
                f"{span(s.rows.start, s.rows.stop - 1)} ({len(s.rows):,})",
                span(s.first_input, s.last_input),
                span(s.first_target, s.last_target),
                f"{s.windows:,}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    ordered = all(a.last_target < b.first_target for a, b in zip(splits, splits[1:], strict=False))
    check = "check: every target lies inside its own split" + (
        ", and each split's targets come after the previous split's" if ordered else ""
    )
    return "\n".join([*header, *table, scaler_line, check])
