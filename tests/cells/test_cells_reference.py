"""Forms with no torch.nn equivalent against NumPy written from the equations."""

import numpy as np
import pytest
import torch

from gatework.cells import GRU, LSTM, SimpleRNN

EPS = 1e-5
TOL = 1e-10


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def ln(v, gain, H):
    """Layer norm of each H-wide gate block of v (B, g*H), then the gain."""
    blocks = v.reshape(v.shape[0], -1, H)
    mu = blocks.mean(-1, keepdims=True)
    var = blocks.var(-1, keepdims=True)
    return ((blocks - mu) / np.sqrt(var + EPS)).reshape(v.shape) * gain


def params(cell):
    return {k: v.detach().numpy() for k, v in cell.named_parameters()}


def proj(p, v, w, b, gain_key, H, rows=slice(None)):
    """W v (+ LN) + b for the gate rows ``rows``."""
    out = v @ p[w][rows].T
    if gain_key in p:
        out = ln(out, p[gain_key][rows], H)
    return out + p[b][rows]


def np_rnn(p, x, h, H):
    hs = []
    for t in range(x.shape[1]):
        pre = proj(p, x[:, t], "weight_ih", "bias_ih", "ln_gain_ih", H)
        h = np.tanh(pre + proj(p, h, "weight_hh", "bias_hh", "ln_gain_hh", H))
        hs.append(h)
    return np.stack(hs, 1), (h,)


def np_lstm(p, x, h, c, H):
    hs = []
    for t in range(x.shape[1]):
        pre = proj(p, x[:, t], "weight_ih", "bias_ih", "ln_gain_ih", H)
        pre = pre + proj(p, h, "weight_hh", "bias_hh", "ln_gain_hh", H)
        i, f, g, o = np.split(pre, 4, axis=1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c = f * c + i * g
        c_n = c
        if "ln_gain_c" in p:
            c_n = ln(c, p["ln_gain_c"], H) + p["ln_bias_c"]
        h = o * np.tanh(c_n)
        hs.append(h)
    return np.stack(hs, 1), (h, c)


def np_gru(p, x, h, H, reset_after, mask=None):
    hs = []
    m = np.ones_like(h) if mask is None else mask
    rz_rows, n_rows = slice(0, 2 * H), slice(2 * H, 3 * H)
    for t in range(x.shape[1]):
        xp = proj(p, x[:, t], "weight_ih", "bias_ih", "ln_gain_ih", H)
        x_rz, x_n = xp[:, : 2 * H], xp[:, 2 * H :]
        hp_rz = proj(p, m * h, "weight_hh", "bias_hh", "ln_gain_hh", H, rz_rows)
        r, z = np.split(sigmoid(x_rz + hp_rz), 2, axis=1)
        if reset_after:
            n = np.tanh(x_n + r * proj(p, m * h, "weight_hh", "bias_hh", "ln_gain_hh", H, n_rows))
        else:
            n = np.tanh(x_n + proj(p, r * (m * h), "weight_hh", "bias_hh", "ln_gain_hh", H, n_rows))
        h = (1 - z) * n + z * h
        hs.append(h)
    return np.stack(hs, 1), (h,)


def _randomise_norm(layer):
    """LN gains/biases away from 1/0 so that using them wrongly shows."""
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.split(".")[-1].startswith("ln_"):
                p.uniform_(0.5, 1.5)


CASES = [
    ("rnn", {"layer_norm": True}),
    ("lstm", {"layer_norm": True}),
    ("gru", {"layer_norm": True}),
    ("gru", {"reset_after": False}),
    ("gru", {"reset_after": False, "layer_norm": True}),
]


@pytest.mark.parametrize("kind,kwargs", CASES)
def test_matches_numpy_reference(kind, kwargs):
    B, T, F, H = 3, 6, 4, 5
    cls = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}[kind]
    layer = cls(F, H, **kwargs).double()
    _randomise_norm(layer)
    x = torch.randn(B, T, F, dtype=torch.float64)
    n_states = 2 if kind == "lstm" else 1
    state0 = [torch.randn(1, B, H, dtype=torch.float64) for _ in range(n_states)]
    out, state = layer(x, tuple(state0) if kind == "lstm" else state0[0])
    state = state if isinstance(state, tuple) else (state,)

    p, xn, s0 = params(layer.layers[0].cell), x.numpy(), [s[0].numpy() for s in state0]
    if kind == "rnn":
        ref_out, ref_state = np_rnn(p, xn, *s0, H)
    elif kind == "lstm":
        ref_out, ref_state = np_lstm(p, xn, *s0, H)
    else:
        ref_out, ref_state = np_gru(p, xn, *s0, H, kwargs.get("reset_after", True))
    assert np.abs(out.detach().numpy() - ref_out).max() <= TOL
    for s, r in zip(state, ref_state, strict=True):
        assert np.abs(s[0].detach().numpy() - r).max() <= TOL


def test_reset_after_changes_the_numbers():
    """Same weights, the two GRU forms disagree: the classic trap is real."""
    a = GRU(3, 4, reset_after=True).double()
    b = GRU(3, 4, reset_after=False).double()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    assert (a(x)[0] - b(x)[0]).abs().max() > 1e-3


@pytest.mark.parametrize("kind,kwargs", CASES)
def test_slow_path_gradients(kind, kwargs):
    """Layer norm and reset_after=False go through autograd: gradcheck end to end."""
    cls = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}[kind]
    layer = cls(2, 3, num_layers=2, bidirectional=True, **kwargs).double()
    _randomise_norm(layer)
    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: layer(v)[0], (x,), fast_mode=True)
