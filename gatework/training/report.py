"""Run metrics: renaming baseline keys, writing ``metrics.json`` and the model-vs-naive table."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

TABLE_METRICS = ("mae", "rmse", "mape")


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


def write_metrics(metrics: Mapping[str, float], path: str | Path) -> Path:
    """Write metrics as sorted, indented JSON (NaN and inf become ``null``).

    Args:
        metrics: flat ``name -> value`` dict.
        path: file to write, usually ``<run dir>/metrics.json``.

    Returns:
        The path written.
    """
    path = Path(path)
    clean = {k: (v if math.isfinite(v) else None) for k, v in sorted(metrics.items())}
    path.write_text(json.dumps(clean, indent=2) + "\n")
    return path


def comparison_table(metrics: Mapping[str, float], model_name: str) -> str:
    """A small fixed-width table: the model against the naive baseline, val and test.

    Args:
        metrics: the run's metrics, holding ``val/mae``, ``test/naive_mae``, ... (missing
            entries are shown as ``-``).
        model_name: the row label of the model.

    Returns:
        The table as text, one row per model and split, one column per metric.
    """
    header = f"{'':<24}" + "".join(f"{m.upper():>12}" for m in TABLE_METRICS)
    rows = [header]
    for split in ("val", "test"):
        rows_of_split = (
            (model_name, ""),
            ("naive", "naive_"),
            (f"{model_name} iterative", "iterative_"),
            ("naive iterative", "iterative_naive_"),
        )
        for label, tag in rows_of_split:
            values = [metrics.get(f"{split}/{tag}{m}") for m in TABLE_METRICS]
            if all(v is None for v in values):
                continue
            cells = "".join(f"{'-':>12}" if v is None else f"{v:>12.4g}" for v in values)
            rows.append(f"{label + ' ' + split:<24}{cells}")
    return "\n".join(rows)
