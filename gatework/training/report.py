"""Run metrics: renaming baseline keys, writing ``metrics.json`` and the model-vs-naive table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from gatework.training.atomic import atomic_write_json

TABLE_METRICS = ("mae", "rmse", "mase", "smape", "mape")
INTERVAL_METRICS = ("coverage", "width", "pinball")


def tag_metrics(metrics: Mapping[str, float], tag: str) -> dict[str, float]:
    """Tag each metric after its split: ``test/mae`` -> ``test/naive_mae``.

    Args:
        metrics: metrics named ``<split>/<name>``, as Lightning logs them.
        tag: what the metrics belong to, e.g. ``"naive"`` or ``"iterative"``.

    Returns:
        The same values under ``<split>/<tag>_<name>``.
    """
    tagged = {}
    for key, value in metrics.items():
        split, sep, name = key.partition("/")
        tagged[f"{split}/{tag}_{name}" if sep else f"{tag}_{key}"] = value
    return tagged


def to_floats(metrics: Mapping[str, object]) -> dict[str, float]:
    """Turn tensors and numbers into plain floats, so that the dict serialises as JSON."""
    return {key: float(value) for key, value in metrics.items()}


def write_metrics(metrics: Mapping[str, float], path: str | Path) -> dict[str, float]:
    """Write metrics as sorted, indented JSON (NaN and inf become ``null``), atomically; the
    timings among them (keys ending in ``/seconds``) go to ``timings.json`` beside it.

    Timings differ from run to run: kept apart, two runs with the same seed write byte-identical
    ``metrics.json`` files.

    Args:
        metrics: flat ``name -> value`` dict.
        path: file to write, usually ``<run dir>/metrics.json``.

    Returns:
        The metrics written to ``path`` (the timings left out).
    """
    timings = {k: float(v) for k, v in metrics.items() if k.endswith("/seconds")}
    if timings:
        atomic_write_json(Path(path).with_name("timings.json"), timings)
    written = {k: float(v) for k, v in metrics.items() if k not in timings}
    atomic_write_json(path, written)
    return written


def readable(value: float, digits: int = 4) -> str:
    """Write a number with ``digits`` significant digits, with no exponent where none is needed.

    With 4 digits ``28936.4`` is written ``28,940`` (not ``2.894e+04``) and ``0.012345``
    ``0.01235``; only numbers below 1e-4 keep an exponent.

    Args:
        value: the number.
        digits: how many significant digits to keep.

    Returns:
        The text.
    """
    rounded = float(f"{value:.{digits}g}")
    if math.isfinite(rounded) and abs(rounded) >= 10**digits:
        return f"{rounded:,.0f}"
    return f"{value:.{digits}g}"


def _rows(
    metrics: Mapping[str, float], names: tuple[str, ...], labels: tuple[tuple[str, str], ...]
) -> list[str]:
    """Header and one fixed-width row per label and split that has any of ``names``."""
    rows = [f"{'':<28}" + "".join(f"{n.upper():>12}" for n in names)]
    for split in ("val", "test"):
        for label, tag in labels:
            values = [metrics.get(f"{split}/{tag}{n}") for n in names]
            if all(v is None for v in values):
                continue
            cells = "".join(f"{'-' if v is None else readable(v):>12}" for v in values)
            if metrics.get(f"{split}/{tag}mape_crosses_zero") and "mape" in names:
                cells += "*"  # after the MAPE column, the last one
            rows.append(f"{label + ' ' + split:<28}{cells}")
    return rows


def comparison_table(metrics: Mapping[str, float], model_name: str) -> str:
    """Small fixed-width tables: the model against the naive baseline, val and test.

    The first holds the point errors (a MAPE marked ``*`` is unreliable: the targets cross
    zero); a second, when the run measured them, the prediction intervals: the conformal
    intervals of model and baseline, and the band of a quantile model's outermost levels.

    Args:
        metrics: the run's metrics, holding ``val/mae``, ``test/naive_mae``, ... (missing
            entries are shown as ``-``).
        model_name: the row label of the model.

    Returns:
        The tables as text, one row per model and split, one column per metric, then a
        warning line for each split where the model is far worse than naive
        (:func:`worse_than_naive`).
    """
    point = (
        (model_name, ""),
        ("naive", "naive_"),
        (f"{model_name} iterative", "iterative_"),
        ("naive iterative", "iterative_naive_"),
    )
    rows = _rows(metrics, TABLE_METRICS, point)
    if any(row.endswith("*") for row in rows):
        rows.append("* the targets cross zero: MAPE divides by values near 0, compare MASE")
    intervals = (
        (f"{model_name} conformal", "conformal_"),
        ("naive conformal", "naive_conformal_"),
        (f"{model_name} quantiles", ""),
    )
    interval_rows = _rows(metrics, INTERVAL_METRICS, intervals)
    if len(interval_rows) > 1:
        rows += ["", *interval_rows]
    return "\n".join([*rows, *worse_than_naive(metrics, model_name)])


def worse_than_naive(
    metrics: Mapping[str, float], model_name: str, factor: float = 1.5
) -> list[str]:
    """Warning lines for each split where the model's MAE is over ``factor`` times the naive's.

    A model that far behind "repeat the last value" has not learned the series (too few epochs,
    a learning rate too high or too low, unscaled data); its metrics are no result to report.

    Args:
        metrics: the run's metrics (``val/mae``, ``val/naive_mae``, ...).
        model_name: the model's label, as in the table.
        factor: how many times the naive MAE counts as far worse.

    Returns:
        One line per split, none when the model is within ``factor`` of the baseline.
    """
    lines = []
    for split in ("val", "test"):
        mae, naive = metrics.get(f"{split}/mae"), metrics.get(f"{split}/naive_mae")
        if mae is not None and naive and mae > factor * naive:
            lines.append(
                f"warning: {model_name}'s {split} MAE is {mae / naive:.1f} times the naive "
                f"forecast's ({readable(mae)} against {readable(naive)}): it has not learned "
                "the series; train longer, adjust model.optimizer.lr, or check the data's scaling"
            )
    return lines
