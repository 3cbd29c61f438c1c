"""Split-conformal prediction intervals for any model, calibrated on its validation windows.

For every forecast value (each horizon step of each target) the validation windows give one
conformity score per window, ``s = max(lower - y, y - upper)``: for a point forecast
(``lower = upper = ŷ``) the absolute residual ``|y - ŷ|``; for a quantile model the distance by
which the truth escapes its outermost levels (conformalized quantile regression, Romano et al.
2019). With ``n`` scores and coverage ``c``, the radius ``r`` is the ``⌈(n + 1) c⌉``-th smallest
score, and the interval of a new window is ``[lower - r, upper + r]``. If the validation and
test windows are exchangeable, it holds the truth with probability at least ``c`` (and below
``c + 1/(n + 1)`` for continuous scores; Vovk et al. 2005, Lei et al. 2018). Forecast errors
drift in time, and the validation split also chose the best epoch, so the test coverage is
measured, never assumed: ``{val,test}/conformal_coverage`` and ``..._width`` report it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from gatework.models.quantile import IntervalCoverage, MeanPinballLoss
from gatework.training.forecasts import split_forecasts
from gatework.training.report import tag_metrics, to_floats

if TYPE_CHECKING:
    from gatework.models import ForecastModule

log = logging.getLogger(__name__)


class ConformalIntervals:
    """Split-conformal intervals around a model's band (its point forecast, or its quantiles).

    Args:
        coverage: the probability ``c`` in (0, 1) that an interval holds the truth.

    Attributes:
        radius: after :meth:`calibrate`, ``r`` per forecast value. Shape: (n_ahead * n_targets,).
        n_calibration: windows the radius was calibrated on.
    """

    def __init__(self, coverage: float) -> None:
        if not 0 < coverage < 1:
            raise ValueError(f"eval.intervals.coverage must be in (0, 1), e.g. 0.8, got {coverage}")
        self.coverage = float(coverage)
        self.radius: Tensor | None = None
        self.n_calibration = 0

    def calibrate(self, quantiles: Tensor, truth: Tensor) -> ConformalIntervals:
        """Set the radius from calibration forecasts (the validation windows).

        Args:
            quantiles: (N, M, Q) forecasts, increasing along Q (Q = 1: a point forecast).
            truth: (N, M) the truths.

        Returns:
            self.
        """
        scores = torch.maximum(quantiles[..., 0] - truth, truth - quantiles[..., -1])  # (N, M)
        n = len(scores)
        rank = math.ceil((n + 1) * self.coverage)  # 1-based
        if rank > n:
            log.warning(
                "eval.intervals.coverage=%g needs at least %d validation windows, got %d: the "
                "intervals are unbounded",
                self.coverage,
                math.ceil(self.coverage / (1 - self.coverage)),
                n,
            )
            self.radius = torch.full(scores.shape[1:], torch.inf)
        else:
            self.radius = scores.sort(dim=0).values[rank - 1]  # (M,)
        self.n_calibration = n
        return self

    def band(self, quantiles: Tensor) -> tuple[Tensor, Tensor]:
        """``(lower, upper)`` of each forecast value: the model's band widened by the radius.

        Args:
            quantiles: (N, M, Q) forecasts, increasing along Q.

        Returns:
            Two (N, M) tensors.
        """
        if self.radius is None:
            raise RuntimeError("ConformalIntervals.band() needs calibrate() to run first")
        return quantiles[..., 0] - self.radius, quantiles[..., -1] + self.radius

    def score(self, quantiles: Tensor, truth: Tensor, point: Tensor) -> dict[str, float]:
        """Coverage, mean width and pinball loss of the intervals on a split.

        Args:
            quantiles: (N, M, Q) forecasts, increasing along Q.
            truth: (N, M) the truths.
            point: (N, M) the point forecasts (the median level).

        Returns:
            ``conformal_coverage``, ``conformal_width`` and ``conformal_pinball`` (levels
            ``(1 - c)/2``, 0.5 and ``(1 + c)/2``), in original units.
        """
        lower, upper = self.band(quantiles)
        band = IntervalCoverage()
        band.update(lower, upper, truth)
        alpha = 1 - self.coverage
        pinball = MeanPinballLoss([alpha / 2, 0.5, 1 - alpha / 2])
        levels = torch.stack([lower, point, upper], dim=-1).sort(dim=-1).values  # (N, M, 3)
        pinball.update(levels, truth)
        values = {**band.compute(), "pinball": pinball.compute()}
        return {f"conformal_{k}": v for k, v in to_floats(values).items()}

    def state_dict(self) -> dict:
        """Plain numbers, for ``conformal.json`` in the run folder (an unbounded radius is
        written ``null`` there)."""
        radius = [] if self.radius is None else self.radius.tolist()
        return {
            "coverage": self.coverage,
            "n_calibration": self.n_calibration,
            "radius": radius,
        }

    @classmethod
    def from_state_dict(cls, state: Mapping) -> ConformalIntervals:
        """The intervals of a :meth:`state_dict` (``conformal.json``), calibrated."""
        intervals = cls(state["coverage"])
        radius = [math.inf if r is None else r for r in state["radius"]]
        intervals.radius = torch.tensor(radius, dtype=torch.float32)
        intervals.n_calibration = int(state["n_calibration"])
        return intervals


def conformal_metrics(
    model: ForecastModule, datasets: Mapping, coverage: float
) -> tuple[ConformalIntervals, dict[str, float]]:
    """Calibrate a model's intervals on the validation windows, then score them on val and test.

    Args:
        model: the forecaster, trained.
        datasets: its datamodule's ``datasets`` (``"val"`` and ``"test"`` windows).
        coverage: the nominal coverage ``c``.

    Returns:
        The calibrated intervals and ``{val,test}/conformal_{coverage,width,pinball}``.
    """
    conformal, metrics = ConformalIntervals(coverage), {}
    for split in ("val", "test"):
        quantiles, truth = split_forecasts(model, datasets[split])
        if split == "val":
            conformal.calibrate(quantiles, truth)
        scores = conformal.score(quantiles, truth, model.point(quantiles))
        metrics |= {f"{split}/{k}": v for k, v in scores.items()}
    return conformal, metrics


def interval_report(
    model: ForecastModule,
    baseline: ForecastModule | None,
    datasets: Mapping,
    coverage: float | None,
) -> tuple[ConformalIntervals | None, dict[str, float]]:
    """:func:`conformal_metrics` of the model and, tagged ``naive_``, of the baseline.

    Args:
        model: the trained forecaster.
        baseline: the naive forecaster, or None.
        datasets: the datamodule's ``datasets``.
        coverage: ``eval.intervals.coverage``; None or 0 skips the intervals.

    Returns:
        The model's intervals (None when skipped) and the metrics of both.
    """
    if not coverage:
        return None, {}
    conformal, metrics = conformal_metrics(model, datasets, coverage)
    if baseline is not None:
        metrics |= tag_metrics(conformal_metrics(baseline, datasets, coverage)[1], "naive")
    return conformal, metrics
