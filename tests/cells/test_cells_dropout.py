"""Recurrent dropout: one mask per sequence, the same at every step, only in training."""

import numpy as np
import pytest
import torch
from test_cells_reference import np_gru, params

from gatework.cells import GRU, LSTM, SimpleRNN


def _probe_rnn(B, T, H, p):
    """ReLU RNN with h_t = max(0, 1 + m ⊙ h_prev): kept units grow, dropped units stay at 1."""
    layer = SimpleRNN(1, H, nonlinearity="relu", recurrent_dropout=p).double()
    cell = layer.layers[0].cell
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.weight_hh.copy_(torch.eye(H))
        cell.bias_ih.fill_(1.0)
        cell.bias_hh.zero_()
    x = torch.zeros(B, T, 1, dtype=torch.float64)
    h0 = torch.ones(1, B, H, dtype=torch.float64)
    return layer, x, h0


def test_mask_is_constant_in_time_and_differs_between_sequences():
    B, T, H, p = 16, 6, 8, 0.5
    layer, x, h0 = _probe_rnn(B, T, H, p)
    out, _ = layer.train()(x, h0)  # (B, T, H)
    mask = out[:, 0] - 1.0  # h_1 = 1 + m ⊙ 1
    assert set(mask.unique().tolist()) == {0.0, 1.0 / (1.0 - p)}
    h_prev = h0[0]
    for t in range(T):  # the same mask reproduces every step exactly
        assert torch.equal(out[:, t], 1.0 + mask * h_prev)
        h_prev = out[:, t]
    assert len({tuple(row.tolist()) for row in mask}) > 1  # sequences get their own masks
    kept = (mask > 0).double().mean().item()
    assert 0.3 < kept < 0.7


def test_eval_equals_no_recurrent_dropout():
    for cls in (SimpleRNN, LSTM, GRU):
        with_rd = cls(3, 4, num_layers=2, recurrent_dropout=0.4).double().eval()
        without = cls(3, 4, num_layers=2).double()
        without.load_state_dict(with_rd.state_dict())
        x = torch.randn(2, 5, 3, dtype=torch.float64)
        assert torch.equal(with_rd(x)[0], without(x)[0])
        assert not torch.equal(with_rd.train()(x)[0], without(x)[0])


def test_gru_mask_acts_inside_the_matmuls_only():
    """GRU: the mask multiplies h_prev before W_hh; z_t ⊙ h_prev keeps the whole state."""
    B, T, F, H = 3, 4, 2, 5
    layer = GRU(F, H, recurrent_dropout=0.5).double().train()
    x = torch.randn(B, T, F, dtype=torch.float64)
    h0 = torch.randn(1, B, H, dtype=torch.float64)
    torch.manual_seed(7)
    out, _ = layer(x, h0)
    torch.manual_seed(7)  # the mask is the first random draw of the forward
    mask = layer.layers[0].sample_mask(B, x).numpy()
    ref, _ = np_gru(params(layer.layers[0].cell), x.numpy(), h0[0].numpy(), H, True, mask)
    assert np.abs(out.detach().numpy() - ref).max() <= 1e-10


@pytest.mark.parametrize("p", [-0.1, 1.0])
def test_rejects_probabilities_outside_unit_interval(p):
    with pytest.raises(ValueError, match=rf"recurrent_dropout must be in \[0, 1\), got {p}"):
        LSTM(3, 4, recurrent_dropout=p)
