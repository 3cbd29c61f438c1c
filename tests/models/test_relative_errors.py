"""MASE, sMAPE and the MAPE flag of ForecastMetrics, against values worked by hand."""

from __future__ import annotations

import pytest
import torch

from gatework.models.metrics import ForecastMetrics


def test_mase_divides_each_targets_mae_by_its_scale_then_averages():
    metrics = ForecastMetrics(n_ahead=2, n_targets=2, mase_scale=(2.0, 10.0))
    preds = torch.tensor([[1.0, 10.0, 3.0, 20.0]])  # steps (1, 10) and (3, 20), step-major
    target = torch.tensor([[2.0, 14.0, 6.0, 30.0]])  # errors target 0: 1, 3; target 1: 4, 10
    metrics.update(preds, target)
    values = metrics.compute()
    assert values["mase"].item() == pytest.approx(((1 + 3) / 2 / 2 + (4 + 10) / 2 / 10) / 2)
    assert values["mae"].item() == pytest.approx(18 / 4)


def test_smape_and_mape_as_fractions():
    metrics = ForecastMetrics(n_ahead=1, n_targets=1)
    metrics.update(torch.tensor([[90.0], [150.0]]), torch.tensor([[100.0], [100.0]]))
    values = metrics.compute()
    assert values["smape"].item() == pytest.approx((2 * 10 / 190 + 2 * 50 / 250) / 2)
    assert values["mape"].item() == pytest.approx((0.1 + 0.5) / 2)
    assert values["mape_crosses_zero"].item() == 0.0
    assert "mase" not in values  # no scale given


@pytest.mark.parametrize(
    ("truths", "flag"),
    [([[-2.0], [-1.0]], 0.0), ([[-1.0], [3.0]], 1.0), ([[0.0], [3.0]], 1.0), ([[1], [3]], 0.0)],
)
def test_mape_is_flagged_when_the_targets_cross_zero(truths, flag):
    metrics = ForecastMetrics(n_ahead=1, n_targets=1)
    for truth in truths:  # one batch each: the flag spans the whole split
        metrics.update(torch.zeros(1, 1), torch.tensor([truth], dtype=torch.float32))
    assert metrics.compute()["mape_crosses_zero"].item() == flag
    metrics.reset()
    metrics.update(torch.zeros(1, 1), torch.tensor([[5.0]]))
    assert metrics.compute()["mape_crosses_zero"].item() == 0.0
