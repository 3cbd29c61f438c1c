"""Quantile forecasts: their levels, the pinball loss, and how often the band they span holds.

A model trained with ``model.loss=quantile model.quantiles=[0.1,0.5,0.9]`` emits one value per
level for every forecast value, the levels last: ``(..., n_ahead * n_targets, Q)``. The pinball
(quantile) loss of level ``τ`` on the error ``e = y - q``

    ρ_τ(e) = max(τ e, (τ - 1) e)

is smallest in expectation when ``q`` is the ``τ``-quantile of ``y`` (Koenker & Bassett 1978),
so minimising its mean over the levels fits them all at once. The median (``τ = 0.5``, whose
pinball loss is half the absolute error) is the point forecast the usual metrics score, and the
outermost levels span the band whose coverage :class:`IntervalCoverage` measures.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torchmetrics import Metric


def check_levels(quantiles: Sequence[float] | None) -> tuple[float, ...]:
    """The quantile levels of ``model.quantiles``, checked.

    Args:
        quantiles: levels in (0, 1), increasing, one of them 0.5 (the point forecast).

    Returns:
        The levels as a tuple of floats.

    Raises:
        ValueError: naming what is wrong and a valid example.
    """
    example = "e.g. model.quantiles=[0.1,0.5,0.9]"
    if not quantiles:
        raise ValueError(f"model.loss=quantile needs model.quantiles, {example}")
    levels = tuple(float(q) for q in quantiles)
    if not all(0 < q < 1 for q in levels) or list(levels) != sorted(set(levels)):
        raise ValueError(
            f"model.quantiles must be increasing levels in (0, 1), got {list(levels)}; {example}"
        )
    if 0.5 not in levels:
        raise ValueError(
            f"model.quantiles must include 0.5, the median scored as the point forecast, got "
            f"{list(levels)}; {example}"
        )
    return levels


def pinball(quantiles: Tensor, target: Tensor, levels: Tensor) -> Tensor:
    """The pinball loss of each quantile forecast, ``max(τ e, (τ - 1) e)`` with ``e = y - q``.

    Args:
        quantiles: forecasts per level. Shape: (..., M, Q), or (..., M, 1) for a point forecast
            read as every level (its pinball loss is then that of a zero-width band).
        target: the truth. Shape: (..., M).
        levels: τ of each level. Shape: (Q,).

    Returns:
        Shape: (..., M, Q).
    """
    error = target.unsqueeze(-1) - quantiles  # (..., M, Q)
    return torch.maximum(levels * error, (levels - 1) * error)


class PinballLoss(nn.Module):
    """Training loss: the pinball loss averaged over values and levels.

    Args:
        levels: the quantile levels τ.

    Shape:
        forward(quantiles, target): (..., M, Q) and (..., M) -> scalar.
    """

    def __init__(self, levels: Sequence[float]) -> None:
        super().__init__()
        self.register_buffer("levels", torch.tensor(levels), persistent=False)  # (Q,)

    def forward(self, quantiles: Tensor, target: Tensor) -> Tensor:
        return pinball(quantiles, target, self.levels).mean()


class MeanPinballLoss(Metric):
    """The pinball loss averaged over windows, values and levels, in the units it is given.

    Args:
        levels: the quantile levels τ.

    Shape:
        update(quantiles, target): (B, M, Q) and (B, M).
    """

    full_state_update = False

    def __init__(self, levels: Sequence[float]) -> None:
        super().__init__()
        self.register_buffer("levels", torch.tensor(levels), persistent=False)  # (Q,)
        self.add_state("total", default=torch.zeros(()), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, quantiles: Tensor, target: Tensor) -> None:
        losses = pinball(quantiles, target, self.levels)  # (B, M, Q)
        self.total += losses.sum()
        self.count += losses.numel()

    def compute(self) -> Tensor:
        return self.total / self.count


class IntervalCoverage(Metric):
    """How often the truth falls inside ``[lower, upper]``, and the band's mean width.

    ``compute()`` returns ``{"coverage": fraction inside (ends included), "width": mean of
    upper - lower}``, over every window and value.

    Shape:
        update(lower, upper, target): all (B, M).
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("inside", default=torch.zeros(()), dist_reduce_fx="sum")
        self.add_state("width", default=torch.zeros(()), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, lower: Tensor, upper: Tensor, target: Tensor) -> None:
        self.inside += ((target >= lower) & (target <= upper)).sum()
        self.width += (upper - lower).sum()
        self.count += target.numel()

    def compute(self) -> dict[str, Tensor]:
        return {"coverage": self.inside / self.count, "width": self.width / self.count}
