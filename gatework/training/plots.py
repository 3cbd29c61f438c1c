"""PNG plots of a run: learning curves from the CSV log, forecasts against the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # no pyplot: PNGs through Agg, the global backend untouched

from gatework.training.atomic import atomic_write


def plot_learning_curves(csv_path: str | Path, png_path: str | Path) -> Path | None:
    """Draw loss, validation MAE and the gradient norm per epoch from a ``CSVLogger`` file.

    Args:
        csv_path: the logger's ``metrics.csv`` (one row per logged step or epoch).
        png_path: where to save the figure.

    Returns:
        ``png_path``, or None when the log holds no epoch-level metric (e.g. an untrained
        baseline), in which case nothing is written.
    """
    csv_path = Path(csv_path)
    if not csv_path.exists():
        return None
    log = pd.read_csv(csv_path)
    if "epoch" not in log.columns:
        return None
    per_epoch = log.groupby("epoch").mean(numeric_only=True)  # step rows and epoch rows merged
    fit = [c for c in per_epoch.columns if c.startswith(("train/", "val/"))]
    losses = [c for c in fit if c.endswith(("/loss", "/loss_epoch"))]
    maes = [c for c in fit if c.endswith(("/mae", "/mae_epoch"))]
    norms = [c for c in fit if c.startswith("train/grad_norm")]  # GradNormLogger's
    named = ((losses, "loss (scaled)"), (maes, "MAE"), (norms, "gradient norm before clipping"))
    panels = [(cols, title) for cols, title in named if cols]
    if not panels or per_epoch[[c for cols, _ in panels for c in cols]].isna().all().all():
        return None
    fig = Figure(figsize=(5 * len(panels), 3.5), layout="tight")
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (cols, title) in zip(axes[0], panels, strict=True):
        for col in cols:
            series = per_epoch[col].dropna()
            ax.plot(series.index, series.to_numpy(), marker="o", label=col)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        if cols is norms:  # spans decades when gradients explode or vanish
            ax.set_yscale("log")
            ax.set_ylabel("‖∇ loss‖₂ (log scale)")
        ax.legend()
    atomic_write(png_path, lambda f: fig.savefig(f, format="png", dpi=100))
    return Path(png_path)


def plot_forecasts(
    history: np.ndarray,
    truth: np.ndarray,
    forecast: np.ndarray,
    png_path: str | Path,
    naive: np.ndarray | None = None,
    target_name: str = "target",
    horizon: int = 1,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    band_label: str = "interval",
) -> Path:
    """Draw a few windows: the input history, then the true and forecast future.

    Args:
        history: past values of the target, NaN where it is not an input, original units.
        truth: true future values, original units.
        forecast: the model's forecast of ``truth``.
        png_path: where to save the figure.
        naive: the naive baseline's forecast, drawn dashed when given.
        target_name: the y-axis label.
        horizon: sampled steps from the last input to the first forecast step (the data's
            ``horizon``: 24 for Jena's temperature a day later).
        lower, upper: the forecast's prediction interval, drawn as a shaded band when given.
        band_label: the band's legend entry (e.g. ``"80% conformal"``).

    Shape:
        history: (N, T); truth, forecast, naive, lower, upper: (N, n_ahead). One panel per
        window.

    Returns:
        ``png_path``.
    """
    n, t = history.shape
    n_ahead = truth.shape[1]
    past = np.arange(-t + 1, 1)  # the last input step is step 0
    future = np.arange(horizon, horizon + n_ahead)  # steps horizon .. horizon + n_ahead - 1
    fig = Figure(figsize=(8, 2.2 * n), layout="tight")
    axes = fig.subplots(n, 1, squeeze=False, sharex=True)
    for i, ax in enumerate(axes[:, 0]):
        ax.plot(past, history[i], color="0.5", label="input")
        if lower is not None and upper is not None:
            band = dict(color="tab:blue", alpha=0.2, linewidth=0, label=band_label)
            ax.fill_between(future, lower[i], upper[i], **band)
        ax.plot(future, truth[i], marker="o", color="black", label="truth")
        ax.plot(future, forecast[i], marker="x", color="tab:blue", label="forecast")
        if naive is not None:
            ax.plot(future, naive[i], ls="--", marker="s", color="tab:orange", label="naive")
        ax.set_ylabel(target_name)
    axes[0, 0].legend(loc="upper left", fontsize="small")
    axes[-1, 0].set_xlabel("steps after the last input")
    atomic_write(png_path, lambda f: fig.savefig(f, format="png", dpi=100))
    return Path(png_path)


def plot_backtest(table: pd.DataFrame, png_path: str | Path, coverage: float | None = None) -> Path:
    """Draw a backtest: MAE per fold, model beside baseline; interval coverage per fold.

    Args:
        table: one row per fold, with ``origin``, ``mae`` and, when measured, ``naive_mae``,
            ``conformal_coverage`` and ``naive_conformal_coverage``.
        png_path: where to save the figure.
        coverage: the nominal coverage, drawn as a line in the coverage panel.

    Returns:
        ``png_path``.
    """
    panels = [("mae", "MAE per fold (test block)")]
    if "conformal_coverage" in table:
        panels.append(("conformal_coverage", "conformal interval coverage"))
    fig = Figure(figsize=(4 + 0.8 * len(table), 3.2 * len(panels)), layout="tight")
    axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True)[:, 0]
    folds = np.arange(len(table))
    for ax, (name, title) in zip(axes, panels, strict=True):
        ax.plot(folds, table[name], marker="o", color="tab:blue", label="model")
        if f"naive_{name}" in table:
            naive = dict(marker="s", linestyle="--", color="tab:orange", label="naive")
            ax.plot(folds, table[f"naive_{name}"], **naive)
        if name == "conformal_coverage" and coverage:
            ax.axhline(coverage, color="0.5", lw=1, label=f"nominal {coverage:g}")
        ax.set_title(title)
        ax.legend(fontsize="small")
    axes[-1].set_xticks(folds, [f"{i + 1}\n{o}" for i, o in enumerate(table["origin"])])
    axes[-1].set_xlabel("fold and origin")
    atomic_write(png_path, lambda f: fig.savefig(f, format="png", dpi=100))
    return Path(png_path)
