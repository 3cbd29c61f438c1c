"""Géron's SARIMA baseline for the CTA rail series: refit every day, forecast the next day.

HOML 3rd ed., ch. 15: for each day of 2019-03 .. 2019-05, an ARIMA(1, 0, 0)(0, 1, 1, 7) is fit on
the rail boardings from 2019-01-01 up to the day before, and its one-step forecast is compared
with the day (MAE 32,041 in the book), through statsmodels.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd
from statsmodels.tsa.arima.model import ARIMA

ORDER = (1, 0, 0)
SEASONAL_ORDER = (0, 1, 1, 7)


def rolling_sarima(
    series: pd.Series,
    days: pd.DatetimeIndex,
    origin: str | pd.Timestamp,
    order: Sequence[int] = ORDER,
    seasonal_order: Sequence[int] = SEASONAL_ORDER,
) -> pd.Series:
    """One-day-ahead forecasts, the model refit on ``series[origin : day - 1]`` for each day.

    Args:
        series: a daily series (a DatetimeIndex, one row per day, no gaps).
        days: the days to forecast; each is forecast from the days before it only.
        origin: first day of every fit (Géron: ``"2019-01-01"``).
        order: the ARIMA ``(p, d, q)``.
        seasonal_order: the seasonal ``(P, D, Q, s)``.

    Returns:
        The forecasts, indexed by ``days``.
    """
    series = series.asfreq("D")
    forecasts = []
    for day in days:
        history = series[pd.Timestamp(origin) : day - pd.Timedelta(days=1)]
        with warnings.catch_warnings():  # convergence chatter on some days; the fit is kept
            warnings.simplefilter("ignore")
            fit = ARIMA(history, order=order, seasonal_order=seasonal_order).fit()
        forecasts.append(float(fit.forecast().iloc[0]))
    return pd.Series(forecasts, index=days)
