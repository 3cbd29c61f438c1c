"""What a series is made of: level, trend, seasonality and noise (STL), and its autocorrelation.

Computed on the training split only, sampled as the model sees it (every ``sampling_rate``-th
row), so that nothing a forecaster looks at before choosing a window comes from the periods it
will be judged on. statsmodels does the work (``STL``, Cleveland et al. 1990, and ``acf``);
it is imported when a function here runs, so ``python explain.py`` without ``what=series``
does not load it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gatework.datamodules.base import SeriesDataModule
from gatework.datamodules.synthetic import SyntheticDataModule
from gatework.explain.png import save_png


def training_series(dm: SeriesDataModule, column: str | None = None) -> pd.Series:
    """The training rows of one column, in original units, one value per model step.

    Args:
        dm: a datamodule after ``setup()``.
        column: a column of its table (default: the first target).

    Returns:
        The series, indexed by time (or row number).
    """
    if isinstance(dm, SyntheticDataModule):
        raise ValueError(
            "data=synthetic is 10,000 short series, not one long one: what=series needs a "
            "single series, e.g. data=ridership data.path=... or data=csv data.path=..."
        )
    column = column or dm.table.targets[0]
    if column not in dm.table.frame.columns:
        raise ValueError(
            f"series.column={column!r} is not a column of {dm.table.source}; "
            f"choose one of {list(dm.table.frame.columns)}"
        )
    rows = dm.ranges["train"]
    return dm.table.frame[column].iloc[rows.start : rows.stop : dm.geometry.sampling_rate]


def autocorrelation(values: np.ndarray, max_lag: int) -> np.ndarray:
    """The sample autocorrelation function at lags 0..max_lag (``statsmodels`` ``acf``)."""
    from statsmodels.tsa.stattools import acf

    max_lag = min(max_lag, len(values) - 1)
    return acf(np.asarray(values, dtype=np.float64), nlags=max_lag, fft=True)


def strongest_lags(acf: np.ndarray, n: int = 3) -> list[int]:
    """The lags of the ``n`` highest peaks of the ACF (a lag above both neighbours), highest
    first: a seasonal period and its multiples. Lag 1 of a persistent series, high only
    because lag 0 is higher, is not a peak; it is returned only when there is no peak at all."""
    peaks = [k for k in range(1, len(acf) - 1) if acf[k - 1] < acf[k] >= acf[k + 1]]
    if not peaks:
        return [1]
    return sorted(peaks, key=lambda k: -acf[k])[:n]


def components(series: pd.Series, period: int) -> pd.DataFrame:
    """Level, trend, seasonality and noise that add up to ``series`` exactly.

    STL (robust to outliers) splits the series into trend + seasonal + residual; the level is
    the series' mean, and the trend is what the STL trend adds to it.

    Returns:
        Columns ``level``, ``trend``, ``seasonal``, ``noise``, with the series' index.
    """
    from statsmodels.tsa.seasonal import STL

    if period < 2 or len(series) < 2 * period:
        raise ValueError(
            f"STL needs a period >= 2 and at least two periods of data, got period={period} "
            f"on {len(series)} training steps: set series.period"
        )
    fit = STL(series.to_numpy(np.float64), period=period, robust=True).fit()
    level = float(series.mean())
    parts = {
        "level": np.full(len(series), level),
        "trend": fit.trend - level,
        "seasonal": fit.seasonal,
        "noise": fit.resid,
    }
    return pd.DataFrame(parts, index=series.index)


def strength(parts: pd.DataFrame) -> dict[str, float]:
    """Strength of trend and of seasonality in [0, 1] (Hyndman & Athanasopoulos, FPP3 §4.3):
    ``1 − Var(noise) / Var(component + noise)``, floored at 0."""
    noise = parts["noise"].var()
    return {
        f"{name}_strength": float(max(0.0, 1.0 - noise / (parts[name] + parts["noise"]).var()))
        for name in ("trend", "seasonal")
    }


def plot_series(
    series: pd.Series,
    parts: pd.DataFrame,
    acf: np.ndarray,
    peaks: list[int],
    png_path: str | Path,
    title: str,
    unit: str,
) -> Path:
    """The series, its four components, and its ACF with the strongest lags marked.

    Args:
        series: the training series.
        parts: :func:`components` of it.
        acf: :func:`autocorrelation` of it.
        peaks: :func:`strongest_lags`.
        png_path: where to save the figure.
        title: the figure's title.
        unit: the series' unit, for the y axes.
    """
    fig = Figure(figsize=(10, 12), layout="constrained")
    axes = fig.subplots(6, 1)
    panels = [("series", series.to_numpy())] + [(c, parts[c].to_numpy()) for c in parts.columns]
    x = series.index
    for ax, (name, values) in zip(axes[:5], panels, strict=True):
        ax.plot(x, values, lw=0.8)
        ax.set_title(name if name != "series" else "the training split", fontsize="medium")
        ax.set_ylabel(f"{name}\n({unit})")
        ax.set_xlabel("time" if isinstance(x, pd.DatetimeIndex) else "row")
    lags = np.arange(len(acf))
    bound = 1.96 / np.sqrt(len(series))  # white noise stays inside ± this, 95% of the time
    axes[5].bar(lags, acf, width=0.8, color="tab:blue")
    axes[5].axhspan(-bound, bound, color="0.8", label="±1.96/√n: white noise")
    for k in peaks:
        axes[5].annotate(
            f"lag {k}",
            (k, acf[k]),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize="small",
        )
    axes[5].set_title("autocorrelation, strongest lags named", fontsize="medium")
    axes[5].set_xlabel("lag (steps)")
    axes[5].set_ylabel("autocorrelation\n(no unit)")
    axes[5].legend(fontsize="small", loc="upper right")
    fig.suptitle(title)
    return save_png(fig, png_path, dpi=80)


def _label(stamp) -> str:
    """A time stamp as a date when it is a midnight, else as it is."""
    if isinstance(stamp, pd.Timestamp) and stamp == stamp.normalize():
        return str(stamp.date())
    return str(stamp)


def explain_series(
    dm: SeriesDataModule,
    column: str | None,
    period: int | None,
    max_lag: int,
    png_path: str | Path,
) -> dict:
    """Components and autocorrelation of one column's training series, drawn and summarised.

    Args:
        dm: a datamodule after ``setup()`` (not the synthetic one).
        column: the column (None: the first target).
        period: the STL period (None: the strongest ACF lag).
        max_lag: ACF lags to compute.
        png_path: where to save the figure.

    Returns:
        ``column``, ``steps`` and ``span`` of the training series, ``acf_strongest_lags``,
        ``acf`` at those lags, the ``period`` used, ``level``, and the strength of trend and
        of seasonality.
    """
    series = training_series(dm, column)
    acf = autocorrelation(series.to_numpy(), max_lag)
    peaks = strongest_lags(acf)
    period = int(period or peaks[0])
    parts = components(series, period)
    name = series.name
    title = (
        f"{name}: training split, {len(series):,} steps; STL period {period}, "
        f"strongest autocorrelation at lags {', '.join(map(str, peaks))}"
    )
    plot_series(series, parts, acf, peaks, png_path, title, unit=f"{name}, original units")
    return {
        "column": name,
        "steps": len(series),
        "span": [_label(series.index[0]), _label(series.index[-1])],
        "acf_strongest_lags": peaks,
        "acf": {str(k): float(acf[k]) for k in peaks},
        "period": period,
        "level": float(parts["level"].iloc[0]),
    } | strength(parts)
