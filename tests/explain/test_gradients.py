"""Gradients through time: the norms against brute-force Jacobians, and the textbook ordering."""

import numpy as np
import pytest
import torch

from gatework.cells import GRU, LSTM, SimpleRNN
from gatework.explain.gradients import (
    decay_per_step,
    input_gradient_norms,
    measure_both,
    state_jacobian_norms,
)
from gatework.explain.study import split_windows, study_layer, study_model


def brute_force_state_norms(layer, x: torch.Tensor) -> np.ndarray:
    """‖∂h_T/∂s_t‖_F per lag, each Jacobian taken whole by autograd over the rest of the window."""
    B, T, _ = x.shape
    lstm = isinstance(layer, LSTM)
    norms = []
    for t in range(T):  # s_t: the state after t steps
        per_window = []
        for b in range(B):
            xb = x[b : b + 1]
            state = layer(xb[:, :t])[1] if t > 0 else None
            if state is None:
                zeros = torch.zeros(1, 1, layer.hidden_size, dtype=x.dtype)
                state = (zeros, zeros) if lstm else zeros
            parts = state if lstm else (state,)

            def last_hidden(*s, xb=xb, t=t):
                final = layer(xb[:, t:], s if lstm else s[0])[1]
                return (final[0] if lstm else final)[-1, 0]  # (H,)

            jacobians = torch.autograd.functional.jacobian(last_hidden, parts)
            per_window.append(torch.cat([j.flatten(1) for j in jacobians], 1).norm().item())
        norms.append(np.mean(per_window))
    return np.asarray(norms[::-1])  # lag 1 .. T


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_state_jacobian_norms_match_whole_jacobians(cls):
    torch.manual_seed(1)
    layer = cls(2, 3).double().eval()
    x = torch.randn(2, 6, 2, dtype=torch.float64)
    ours = state_jacobian_norms(layer, x)
    np.testing.assert_allclose(ours, brute_force_state_norms(layer, x), rtol=1e-10)
    assert ours.shape == (6,)


def test_state_jacobian_norms_of_a_stack_read_every_layers_state():
    torch.manual_seed(2)
    two = GRU(2, 3, num_layers=2).double().eval()
    x = torch.randn(2, 5, 2, dtype=torch.float64)
    ours = state_jacobian_norms(two, x)
    assert ours.shape == (5,) and np.all(ours > 0)
    with pytest.raises(ValueError, match="unidirectional"):
        state_jacobian_norms(GRU(2, 3, bidirectional=True), x.float())


def test_input_gradient_norms_are_per_window_gradients(synthetic):
    torch.manual_seed(3)
    model = study_model(synthetic.spec, 6, cell="gru").double()
    x, y = (t.double() for t in split_windows(synthetic, range(5)))
    ours = input_gradient_norms(model, (x, y))
    expected = []
    for b in range(5):
        xb = x[b : b + 1].clone().requires_grad_(True)
        loss = torch.nn.functional.mse_loss(model.forecast(xb), y[b : b + 1])  # loss=mse
        (grad,) = torch.autograd.grad(loss, xb)
        expected.append(grad[0].norm(dim=1).flip(0).numpy())  # by lag
    np.testing.assert_allclose(ours, np.mean(expected, axis=0), rtol=1e-10)


def test_decay_per_step_of_a_geometric_series():
    lags = np.arange(1, 21)
    assert decay_per_step(3.0 * 0.8**lags, first_lag=1) == pytest.approx(0.8)
    assert np.isnan(decay_per_step(np.array([0.0, 0.0]), first_lag=0))


@pytest.mark.parametrize("seed", [0, 1])
def test_simple_rnn_gradients_vanish_faster_than_an_lstm_with_forget_bias_1(synthetic, seed):
    """At initialisation (weights U(±1/√H), small): the textbook picture, measured."""
    batch = split_windows(synthetic, range(8))
    decays = {}
    for label, options in {
        "rnn": {"cell": "rnn"},
        "lstm": {"cell": "lstm", "forget_bias": 1.0},
    }.items():
        torch.manual_seed(seed)
        measured = measure_both(study_model(synthetic.spec, 32, **options), batch)
        decays[label] = {
            "input": decay_per_step(measured["input"], 0),
            "state": decay_per_step(measured["state"], 1),
        }
    for kind in ("input", "state"):
        assert decays["rnn"][kind] < decays["lstm"][kind] - 0.1, (kind, decays)
    assert decays["rnn"]["state"] < 0.75 < decays["lstm"]["state"]


def test_study_layer_options():
    lstm = study_layer(2, 4, "lstm", forget_bias=1.0)
    b_f = (lstm.to_torch().bias_ih_l0 + lstm.to_torch().bias_hh_l0)[4:8]
    torch.testing.assert_close(b_f, torch.ones(4))
    irnn = study_layer(2, 4, "rnn", recurrent_identity=1.0, nonlinearity="relu")
    torch.testing.assert_close(irnn.to_torch().weight_hh_l0, torch.eye(4))
    with pytest.raises(ValueError, match="forget_bias applies to the LSTM only"):
        study_layer(2, 4, "gru", forget_bias=1.0)
    with pytest.raises(ValueError, match="cell must be one of"):
        study_layer(2, 4, "tcn")
