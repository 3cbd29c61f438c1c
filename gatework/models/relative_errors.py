"""Errors relative to a scale: MASE (to the in-sample naive error) and the guard on MAPE.

MAPE divides each error by the truth, so it explodes near zero and means nothing on a series
that crosses it (a sine, temperatures in °C); MASE divides by one number per target, the
in-sample seasonal naive MAE (``spec.mase_scale``), and stays comparable across series and
data sets. :class:`CrossesZero` tells which case a split is in, so MAPE is kept but flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric


class MeanAbsoluteScaledError(Metric):
    """MASE: each target's MAE over its in-sample seasonal naive MAE, averaged over targets.

    ``MASE = (1/J) Σ_j MAE_j / s_j`` (Hyndman & Koehler 2006). Below 1, the forecast beats the
    seasonal naive forecast's error inside the training split; the seasonal naive forecast
    itself scores 1 on the training windows (see :mod:`gatework.datamodules.naive_scale`).

    Args:
        scale: ``s_j`` per target, in original units (``spec.mase_scale``).

    Shape:
        preds, target: (B, n_ahead * n_targets), step-major, original units.
    """

    full_state_update = False

    def __init__(self, scale: Sequence[float]) -> None:
        super().__init__()
        scale = torch.tensor(scale, dtype=torch.float32)
        self.register_buffer("scale", scale, persistent=False)  # (J,)
        self.add_state("abs_error", default=torch.zeros(len(scale)), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros(()), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        error = (preds - target).abs().view(-1, len(self.scale))  # (B*K, J)
        self.abs_error += error.sum(dim=0)
        self.count += error.shape[0]

    def compute(self) -> Tensor:
        return (self.abs_error / self.count / self.scale).mean()


class CrossesZero(Metric):
    """1.0 when the targets of a split take both signs or a zero (MAPE is then unreliable).

    Shape:
        update(target): any shape, original units.
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("low", default=torch.tensor(torch.inf), dist_reduce_fx="min")
        self.add_state("high", default=torch.tensor(-torch.inf), dist_reduce_fx="max")

    def update(self, target: Tensor) -> None:
        self.low = torch.minimum(self.low, target.min())
        self.high = torch.maximum(self.high, target.max())

    def compute(self) -> Tensor:
        return ((self.low <= 0) & (self.high >= 0)).float()
