"""Forms with no torch.nn equivalent against NumPy written from the equations."""

import numpy as np
import pytest
import torch

from gatework.cells import GRU, LSTM, SimpleRNN, trace_gates

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


def np_rnn(p, x, h, H, relu=False):
    hs = []
    for t in range(x.shape[1]):
        pre = proj(p, x[:, t], "weight_ih", "bias_ih", "ln_gain_ih", H)
        pre = pre + proj(p, h, "weight_hh", "bias_hh", "ln_gain_hh", H)
        h = np.maximum(pre, 0.0) if relu else np.tanh(pre)
        hs.append(h)
    return np.stack(hs, 1), (h,)


def np_lstm(p, x, h, c, H):
    hs = []
    for t in range(x.shape[1]):
        pre = proj(p, x[:, t], "weight_ih", "bias_ih", "ln_gain_ih", H)
        pre = pre + proj(p, h, "weight_hh", "bias_hh", "ln_gain_hh", H)
        a_i, a_f, a_g, a_o = np.split(pre, 4, axis=1)
        if "weight_ci" in p:  # peepholes: i and f see c_prev, o sees c_t
            a_i, a_f = a_i + p["weight_ci"] * c, a_f + p["weight_cf"] * c
        i, f, g = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g)
        c = f * c + i * g
        o = sigmoid(a_o + p["weight_co"] * c) if "weight_co" in p else sigmoid(a_o)
        c_n = c
        if "ln_gain_c" in p:
            c_n = ln(c, p["ln_gain_c"], H) + p["ln_bias_c"]
        h = o * np.tanh(c_n)
        if "weight_hr" in p:  # LSTMP: h_t = W_hr (o ⊙ tanh c)
            h = h @ p["weight_hr"].T
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
    ("rnn", {"nonlinearity": "relu"}),
    ("lstm", {"layer_norm": True}),
    ("lstm", {"peephole": True}),
    ("lstm", {"proj_size": 2}),
    ("lstm", {"peephole": True, "proj_size": 2, "layer_norm": True}),
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
    state0 = [torch.randn(1, B, w, dtype=torch.float64) for w in layer.state_sizes.values()]
    out, state = layer(x, tuple(state0) if kind == "lstm" else state0[0])
    state = state if isinstance(state, tuple) else (state,)

    p, xn, s0 = params(layer.layers[0].cell), x.numpy(), [s[0].numpy() for s in state0]
    if kind == "rnn":
        ref_out, ref_state = np_rnn(p, xn, *s0, H, relu=kwargs.get("nonlinearity") == "relu")
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
def test_textbook_path_gradients(kind, kwargs):
    """Options the fast kernel lacks run the textbook step with autograd: gradcheck end to end."""
    cls = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}[kind]
    layer = cls(2, 3, num_layers=2, bidirectional=True, **kwargs).double()
    _randomise_norm(layer)
    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: layer(v)[0], (x,), fast_mode=True)


def test_forget_bias_sets_b_f_and_only_it():
    torch.manual_seed(0)
    plain = LSTM(3, 4, num_layers=2, bidirectional=True)
    torch.manual_seed(0)
    keras = LSTM(3, 4, num_layers=2, bidirectional=True, forget_bias=1.0)
    f = slice(4, 8)  # the f rows, torch.nn's i, f, g, o order
    for (_, a), (_, b) in zip(plain.directions(), keras.directions(), strict=True):
        assert torch.equal(b.cell.bias_ih[f], torch.ones(4))
        assert torch.equal(b.cell.bias_hh[f], torch.zeros(4))
        for name in ("weight_ih", "weight_hh"):  # same draws otherwise
            assert torch.equal(getattr(a.cell, name), getattr(b.cell, name))
        rest = torch.cat([torch.arange(0, 4), torch.arange(8, 16)])
        assert torch.equal(a.cell.bias_ih[rest], b.cell.bias_ih[rest])
    # with zero weights the forget gate starts at σ(1) ≈ 0.731 wherever the input is
    cell = keras.layers[0].fwd.cell
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.weight_hh.zero_()
    trace = trace_gates(keras, torch.randn(2, 5, 3))
    torch.testing.assert_close(trace["l0.f"], torch.full((2, 5, 4), 1 / (1 + np.exp(-1.0))))


def test_nonlinearity_is_an_attribute_like_any_other():
    layer = SimpleRNN(3, 4).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    layer.nonlinearity = "relu"
    p, h0 = params(layer.layers[0].cell), np.zeros((2, 4))
    ref, _ = np_rnn(p, x.numpy(), h0, 4, relu=True)
    assert np.abs(layer(x)[0].detach().numpy() - ref).max() <= TOL
    assert layer.layers[0].cell.nonlinearity == "relu"
    with pytest.raises(ValueError, match="nonlinearity must be one of .*got 'sigmoid'"):
        layer.nonlinearity = "sigmoid"
    assert layer.nonlinearity == "relu"
