"""Rolling-origin folds: where each backtest fold trains, validates and is scored, and its audit.

Fold ``i`` has an origin ``o_i``; the origins tile the test split from its start, ``step`` rows
(or one calendar period, e.g. ``"3MS"``) apart. Its test block is ``[o_i, o_{i+1})`` (the last
fold's ends with the test split when ``step`` is not given), its validation block the ``V`` rows
just before ``o_i`` (``V`` = the configured validation split's length), and its training block
ends where validation starts: from the first training row (``expanding``), or the last ``L``
rows (``sliding``, ``L`` = the configured training split's length). Without refitting, every
fold keeps the configured training rows, those of the model it re-scores. Nothing a fold fits
(scaler, weights, early stopping) reads a row at or after its origin; :func:`fold_audit` shows
and checks it from what each fold's windows actually read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from gatework.datamodules.base import SeriesDataModule
from gatework.datamodules.splits import RowRange

WINDOWS = ("expanding", "sliding")


@dataclass(frozen=True)
class BacktestPlan:
    """What ``eval.backtest`` asks for.

    Args:
        folds: number of origins (>= 1).
        window: ``"expanding"`` (train from the first training row) or ``"sliding"`` (the last
            ``L`` rows before validation).
        refit: refit the model and its scaler at every origin; False re-scores the trained one.
        step: rows between origins (int), a pandas offset alias for calendar periods
            (``"MS"``, ``"3MS"``, ``"QS"``, ``"W"``), or None for ``test rows // folds``.
    """

    folds: int
    window: str = "expanding"
    refit: bool = True
    step: int | str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or self.folds < 1:
            raise ValueError(f"eval.backtest.folds must be an integer >= 1, got {self.folds!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"eval.backtest.window must be one of {WINDOWS}, got {self.window!r}")
        if isinstance(self.step, bool) or (isinstance(self.step, int) and self.step < 1):
            raise ValueError(f"eval.backtest.step must be rows >= 1, got {self.step!r}")


def _origins(plan: BacktestPlan, index: pd.Index, test: RowRange) -> list[tuple[int, int]]:
    """The ``[origin, end)`` rows of each fold's test block."""
    if plan.step is None or isinstance(plan.step, int):
        step = plan.step or len(test) // plan.folds
        if step < 1:
            raise ValueError(
                f"eval.backtest.folds={plan.folds} exceeds the test split's {len(test)} rows"
            )
        starts = [test.start + i * step for i in range(plan.folds)]
        ends = [min(s + step, test.stop) for s in starts]
        if plan.step is None:
            ends[-1] = test.stop  # the remainder joins the last fold
    else:
        if not isinstance(index, pd.DatetimeIndex):
            raise ValueError(
                f"eval.backtest.step={plan.step!r} is a calendar period, but the rows have no "
                "timestamps (data.time_column): give the step in rows"
            )
        try:
            offset = pd.tseries.frequencies.to_offset(plan.step)
        except ValueError as err:
            raise ValueError(
                f"eval.backtest.step={plan.step!r} is neither rows nor a pandas offset alias "
                f"(e.g. MS, 3MS, QS, W, 90D): {err}"
            ) from err
        starts, ends = [test.start], []
        for _ in range(plan.folds):
            end = int(index.searchsorted(index[starts[-1]] + offset))
            ends.append(min(end, test.stop))
            starts.append(end)
        starts = starts[:-1]
    if starts[-1] >= test.stop:
        raise ValueError(
            f"eval.backtest: {plan.folds} folds {plan.step or ''} apart start after the test "
            f"split's {len(test)} rows end: lower eval.backtest.folds or eval.backtest.step"
        )
    return list(zip(starts, ends, strict=True))


def plan_folds(
    plan: BacktestPlan, index: pd.Index, ranges: dict[str, RowRange]
) -> list[dict[str, RowRange]]:
    """The train/val/test rows of every fold.

    Args:
        plan: the backtest's options.
        index: the table's row labels (timestamps for calendar steps).
        ranges: the configured splits, whose test split the folds tile.

    Returns:
        One ``{"train", "val", "test"}`` mapping of row ranges per fold, in time order.
    """
    train, val, test = ranges["train"], ranges["val"], ranges["test"]
    folds = []
    for number, (origin, end) in enumerate(_origins(plan, index, test), start=1):
        val_i = RowRange(origin - len(val), origin)
        if not plan.refit:
            train_i = train  # the trained model's own rows, before every origin
        elif plan.window == "expanding":
            train_i = RowRange(train.start, val_i.start)
        else:
            train_i = RowRange(val_i.start - len(train), val_i.start)
        if train_i.start < 0 or train_i.stop > val_i.start or len(train_i) < 1:
            raise ValueError(
                f"eval.backtest fold {number}: no room for {len(train):,} training and "
                f"{len(val):,} validation rows before its origin (row {origin:,})"
            )
        folds.append({"train": train_i, "val": val_i, "test": RowRange(origin, end)})
    return folds


def fold_audit(plan: BacktestPlan, folds: Sequence[SeriesDataModule]) -> str:
    """One line per fold: what fit its scaler and model, and what its test windows read.

    Args:
        plan: the backtest's options.
        folds: the datamodule of each fold, set up.

    Returns:
        The audit text.

    Raises:
        RuntimeError: when a fold's scaler or fitted windows read a row at or after its origin,
            or its test targets leave ``[origin, end)``.
    """
    label = folds[0].label

    def span(first: int, last: int) -> str:
        return f"{label(first)} .. {label(last)}"

    rows = [("fold", "origin", "train targets", "val targets", "scaler fit on", "test targets")]
    for number, dm in enumerate(folds, start=1):
        train, val, test = (dm.split_audits[name] for name in ("train", "val", "test"))
        origin, end = dm.ranges["test"]
        fitted = [train.last_input, train.last_target, val.last_input, val.last_target]
        scaler = "-"
        if dm.scaler_rows is not None:
            fitted.append(dm.scaler_rows.stop - 1)
            scaler = span(dm.scaler_rows.start, dm.scaler_rows.stop - 1)
        if max(fitted) >= origin or test.first_target < origin or test.last_target >= end:
            raise RuntimeError(
                f"backtest fold {number} fits on rows up to {label(max(fitted))} or scores "
                f"targets {span(test.first_target, test.last_target)}, outside its origin "
                f"{label(origin)} .. {label(end - 1)}"
            )
        rows.append(
            (
                str(number),
                label(origin),
                span(train.first_target, train.last_target),
                span(val.first_target, val.last_target),
                scaler,
                f"{span(test.first_target, test.last_target)} ({test.windows:,})",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if plan.refit:
        mode = f"each refit at its origin on the {plan.window} training window"
    else:
        mode = (
            "the trained model re-scored at each origin (its scaler and weights were fit on the "
            "configured train split; val calibrates its intervals)"
        )
    return "\n".join(
        [
            f"backtest: {len(folds)} folds over the test split, {mode}; test windows read their "
            "inputs before the origin",
            *table,
            "check: in every fold the scaler, the training and the validation windows end "
            "before the origin; test targets lie in [origin, next origin)",
        ]
    )
