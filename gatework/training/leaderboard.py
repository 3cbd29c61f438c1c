"""One table for a sweep: every run's metrics side by side, best first (Markdown + CSV)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from gatework.training.atomic import atomic_write_text
from gatework.training.report import readable

log = logging.getLogger(__name__)

COLUMNS = ("val/mae", "test/mae", "test/naive_mae", "test/mase", "test/rmse", "test/mape")
COLUMNS += ("test/conformal_coverage", "test/coverage", "backtest/mae", "backtest/naive_mae")
COLUMNS += ("fit/epochs",)


def _run_label(run_dir: Path) -> tuple[str, tuple[str, ...]]:
    """The model's config name and the run's command-line overrides, from ``.hydra/``."""
    overrides_file = run_dir / ".hydra" / "overrides.yaml"
    overrides = list(OmegaConf.load(overrides_file)) if overrides_file.exists() else []
    choices_file = run_dir / ".hydra" / "hydra.yaml"
    model = ""
    if choices_file.exists():
        model = str(OmegaConf.load(choices_file).hydra.runtime.choices.get("model", ""))
    return model, tuple(str(o) for o in overrides)


def collect_runs(sweep_dir: str | Path) -> pd.DataFrame:
    """Gather the ``metrics.json`` of every run below a sweep folder.

    Args:
        sweep_dir: a Hydra sweep folder (``outputs/multirun/<date>``) or any folder whose
            sub-folders hold ``metrics.json`` files.

    Returns:
        One row per run: ``run`` (path relative to ``sweep_dir``), ``model``, ``overrides`` (a
        tuple of command-line overrides), then every metric found in any run (NaN where a run
        lacks it).

    Raises:
        FileNotFoundError: when ``sweep_dir`` does not exist or holds no ``metrics.json``.
    """
    sweep_dir = Path(sweep_dir)
    files = sorted(sweep_dir.rglob("metrics.json"))
    if not files:
        raise FileNotFoundError(
            f"no metrics.json below {sweep_dir}: pass the folder of a finished sweep, "
            "e.g. outputs/multirun/<date>_<time>"
        )
    rows = []
    for file in files:
        run_dir = file.parent
        model, overrides = _run_label(run_dir)
        metrics = {
            k: (math.nan if v is None else v) for k, v in json.loads(file.read_text()).items()
        }
        rows.append(
            {
                "run": str(run_dir.relative_to(sweep_dir)),
                "model": model,
                "overrides": overrides,
                **metrics,
            }
        )
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """Render a table as GitHub Markdown (no extra dependency), floats :func:`readable`.

    Args:
        table: the rows to print; NaN is written ``-``.

    Returns:
        Markdown text ending with a newline.
    """

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "-" if math.isnan(value) else readable(value)
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines) + "\n"


def with_mean_sd(runs: pd.DataFrame) -> pd.DataFrame:
    """Add ``<name>`` = "mean ± sd" for every ``<name>/mean`` with its ``<name>/sd`` (backtests).

    Args:
        runs: one row per run, as :func:`collect_runs` reads them.

    Returns:
        A copy with the text columns added ("-" where a run has no such backtest).
    """
    runs = runs.copy()
    for mean in [c for c in runs.columns if c.endswith("/mean")]:
        name, sd = mean.removesuffix("/mean"), mean.removesuffix("mean") + "sd"
        if sd in runs.columns:
            runs[name] = [
                "-" if math.isnan(m) else f"{readable(m)} ± {readable(s, 2)}"
                for m, s in zip(runs[mean].astype(float), runs[sd].astype(float), strict=True)
            ]
    return runs


def write_leaderboard(sweep_dir: str | Path, sort_by: str = "val/mae") -> tuple[Path, Path]:
    """Write ``leaderboard.md`` (main columns) and ``leaderboard.csv`` (all columns), atomically.

    Args:
        sweep_dir: the sweep folder; both files are written into it.
        sort_by: the metric ranking the runs, lowest first (runs without it go last).

    Returns:
        The Markdown and CSV paths.

    Raises:
        ValueError: when no run has the ``sort_by`` metric.
    """
    sweep_dir = Path(sweep_dir)
    runs = collect_runs(sweep_dir)
    if sort_by not in runs.columns:
        metrics = sorted(c for c in runs.columns if "/" in c)
        raise ValueError(
            f"sort_by={sort_by!r} is in no metrics.json below {sweep_dir}; pick one of {metrics}"
        )
    runs = runs.sort_values(sort_by, na_position="last", kind="stable").reset_index(drop=True)
    runs.insert(0, "rank", range(1, len(runs) + 1))
    md_path, csv_path = sweep_dir / "leaderboard.md", sweep_dir / "leaderboard.csv"
    overrides = list(runs["overrides"])
    common = set.intersection(*(set(o) for o in overrides))
    runs["overrides"] = [" ".join(o) for o in overrides]
    atomic_write_text(csv_path, runs.to_csv(index=False))

    runs = with_mean_sd(runs)
    shown = ["rank", "model", *(c for c in (sort_by, *COLUMNS) if c in runs.columns), "overrides"]
    shown = list(dict.fromkeys(shown))  # sort_by may also be a default column
    table = runs[shown].assign(  # only what differs between runs, in command-line order
        overrides=[" ".join(o for o in run if o not in common) for run in overrides]
    )
    common_line = f"Every run: `{' '.join(sorted(common))}`\n\n" if common else ""
    atomic_write_text(
        md_path,
        f"# Leaderboard: {sweep_dir}\n\nRanked by `{sort_by}`, lower is better.\n\n"
        + common_line
        + to_markdown(table),
    )
    return md_path, csv_path


class LeaderboardCallback(Callback):
    """Hydra callback: after a sweep (``python train.py -m ...``), write its leaderboard.

    Args:
        sort_by: the metric ranking the runs, lowest first.
    """

    def __init__(self, sort_by: str = "val/mae") -> None:
        self.sort_by = sort_by

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            md_path, _ = write_leaderboard(sweep_dir, self.sort_by)
        except (FileNotFoundError, ValueError) as err:  # a failed sweep keeps its own error
            log.warning("no leaderboard: %s", err)
            return
        log.info("Leaderboard of %s:\n%s", sweep_dir, md_path.read_text())
