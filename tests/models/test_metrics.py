"""Per-target and scaled metrics against values worked by hand."""

from __future__ import annotations

import pytest
import torch

from gatework.models.metrics import ForecastMetrics


def test_per_target_and_scaled_errors():
    # two steps ahead of two targets, step-major: (bus_1, rail_1, bus_2, rail_2)
    metrics = ForecastMetrics(2, 2, target_std=(2.0, 4.0), target_names=("bus", "rail"))
    target = torch.zeros(2, 4)
    preds = torch.tensor([[1.0, 4.0, -1.0, 0.0], [3.0, -8.0, 1.0, 4.0]])
    metrics.update(preds, target)
    got = {k: v.item() for k, v in metrics.compute().items()}
    bus, rail = [1.0, 1.0, 3.0, 1.0], [4.0, 0.0, 8.0, 4.0]  # |errors| of each target
    assert got["mae/bus"] == pytest.approx(sum(bus) / 4)
    assert got["mae/rail"] == pytest.approx(sum(rail) / 4)
    assert got["mse/rail"] == pytest.approx(sum(e * e for e in rail) / 4)
    assert got["mae"] == pytest.approx((sum(bus) + sum(rail)) / 8)
    assert got["mae_scaled"] == pytest.approx((sum(bus) / 2 + sum(rail) / 4) / 8)
    assert got["mse_scaled"] == pytest.approx(
        (sum(e * e for e in bus) / 4 + sum(e * e for e in rail) / 16) / 8
    )
    metrics.reset()
    metrics.update(target, target)
    assert metrics.compute()["mae/bus"].item() == 0.0


def test_one_target_has_no_per_target_keys_and_unit_scale_by_default():
    metrics = ForecastMetrics(n_ahead=1, n_targets=1)
    metrics.update(torch.tensor([[2.0]]), torch.tensor([[0.0]]))
    got = metrics.compute()
    assert not any("/" in k for k in got)
    assert got["mse_scaled"].item() == got["mse"].item() == 4.0
