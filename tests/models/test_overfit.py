"""A small GRU learns a sine wave: the whole model (forward, loss, optimiser) can learn."""

from __future__ import annotations

import pytest
import torch
from models_testkit import build, make_spec, sine, windows

MSE_BOUND = 1e-3  # scaled units; the sine has variance 0.5 (predicting its mean scores 0.5)


@pytest.mark.parametrize("backend", ["gatework"])
def test_small_gru_fits_a_sine_wave(backend: str):
    series = sine(140, period=20.0)
    x, y = windows(series, input_len=10, n_ahead=2)  # (129, 10, 1), (129, 2)
    spec = make_spec(series, input_len=10, n_ahead=2)
    model = build("gru", spec, rnn={"hidden_size": 16, "backend": backend}, optimizer=None)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    for _ in range(60):  # full-batch Adam steps; about 1e-4 is reached
        optimizer.zero_grad()
        loss, _, _ = model.model_step((x, y))
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        mse = model.model_step((x, y))[0].item()
    assert mse < MSE_BOUND, f"GRU({backend}) reached MSE {mse:.4f} on a sine wave"
