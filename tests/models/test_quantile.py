"""Quantile forecasts: the pinball loss, its levels, and every trained family emitting them."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from models_testkit import CONFIG_NAMES, WindowDataModule, build, make_spec, sine, windows

from gatework.models.quantile import PinballLoss, check_levels, pinball

LEVELS = [0.1, 0.5, 0.9]
TRAINED = [name for name in CONFIG_NAMES if name not in ("naive", "seasonal_naive")]


def test_pinball_loss_worked_by_hand():
    q = torch.tensor([[[1.0, 2.0, 3.0]]])  # one value, levels 0.1 0.5 0.9
    # y = 2.5: errors 1.5, 0.5, -0.5 -> 0.1*1.5, 0.5*0.5, 0.1*0.5 (the 0.9 level overshoots)
    expected = torch.tensor([[[0.15, 0.25, 0.05]]])
    torch.testing.assert_close(pinball(q, torch.tensor([[2.5]]), torch.tensor(LEVELS)), expected)
    assert PinballLoss(LEVELS)(q, torch.tensor([[2.5]])).item() == pytest.approx(0.45 / 3)


def test_the_empirical_quantile_minimises_the_pinball_loss():
    y = torch.from_numpy(np.random.default_rng(0).normal(size=(4001, 1))).float()
    loss = PinballLoss(LEVELS)
    best = torch.quantile(y, torch.tensor(LEVELS))  # (Q,)

    def at(q: torch.Tensor) -> float:
        return loss(q.expand(len(y), 1, 3), y).item()

    for level in range(3):
        for step in (-0.05, 0.05):
            moved = best.clone()
            moved[level] += step
            assert at(moved) > at(best)
    torch.testing.assert_close(best, torch.tensor([-1.2816, 0.0, 1.2816]), atol=0.08, rtol=0)


@pytest.mark.parametrize(
    ("quantiles", "loss", "message"),
    [
        (None, "quantile", r"model.loss=quantile needs model.quantiles"),
        ([0.1, 0.9], "quantile", r"must include 0.5"),
        ([0.5, 0.1, 0.9], "quantile", r"increasing levels in \(0, 1\), got \[0.5, 0.1, 0.9\]"),
        ([0.0, 0.5], "quantile", r"increasing levels in \(0, 1\)"),
        ([0.1, 0.5, 0.9], "mse", r"model.quantiles=\[0.1, 0.5, 0.9\] needs model.loss=quantile"),
    ],
)
def test_bad_levels_name_the_fix(quantiles, loss, message):
    spec = make_spec(sine(40), input_len=8, n_ahead=1)
    with pytest.raises(ValueError, match=message):
        build("linear", spec, loss=loss, quantiles=quantiles)
    if loss == "quantile" and quantiles is None:
        with pytest.raises(ValueError, match=message):
            check_levels([])


def data(name: str) -> WindowDataModule:
    mode = "sequence" if name == "seq2seq" else "vector"
    series = torch.cat([sine(60), 0.5 * sine(60, period=7.0)], dim=1)  # (60, 2)
    x, y = windows(series, 12, 2, mode=mode)
    spec = make_spec(series, 12, 2, target_mode=mode, target_mean=(5.0, 5.0))
    return WindowDataModule(x, y, spec, batch_size=16)


@pytest.mark.parametrize("name", TRAINED)
def test_every_trained_family_forecasts_quantiles(name, trainer_kwargs):
    dm = data(name)
    model = build(name, dm.spec, loss="quantile", quantiles=LEVELS)
    x = dm.dataset.tensors[0][:4]
    model.eval()
    quantiles = model.last_step(model.quantile_forecast(x))  # (4, K*J, Q)
    assert quantiles.shape == (4, 4, 3)
    assert (quantiles.diff(dim=-1) >= 0).all()  # levels never cross
    torch.testing.assert_close(model.last_step(model.forecast(x)), quantiles[..., 1])
    model.train()
    trainer = L.Trainer(fast_dev_run=True, **trainer_kwargs)
    trainer.fit(model, datamodule=dm)
    metrics = trainer.test(model, datamodule=dm, verbose=False)[0]
    assert {"test/pinball", "test/coverage", "test/width", "test/mae"} <= set(metrics)
    assert metrics["test/width"] >= 0 and 0 <= metrics["test/coverage"] <= 1


def test_a_baseline_reads_its_one_forecast_as_every_level(trainer_kwargs):
    dm = data("naive")
    model = build("naive", dm.spec, loss="quantile", quantiles=LEVELS)
    metrics = L.Trainer(**trainer_kwargs).test(model, datamodule=dm, verbose=False)[0]
    assert metrics["test/width"] == 0.0
    # a zero-width band: the pinball loss averages 0.1|e|, 0.5|e| and 0.9|e| one way or the other
    assert metrics["test/pinball"] == pytest.approx(metrics["test/mae"] / 2, rel=1e-5)
