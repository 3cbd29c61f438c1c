"""Parity with torch.nn in float64: outputs, final states and every gradient."""

import itertools
import zlib

import pytest
import torch
from torch import nn

from gatework.cells import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from gatework.cells.base import RecurrentCell

TOL = 1e-10
LAYERS = {"rnn": (SimpleRNN, nn.RNN), "lstm": (LSTM, nn.LSTM), "gru": (GRU, nn.GRU)}
CELLS = {
    "rnn": (SimpleRNNCell, nn.RNNCell),
    "lstm": (LSTMCell, nn.LSTMCell),
    "gru": (GRUCell, nn.GRUCell),
}


@pytest.fixture(params=["fast", "autograd"])
def path(request, monkeypatch):
    """Run each test on the hand-written backward and on plain autograd through the loop."""
    if request.param == "autograd":
        monkeypatch.setattr(RecurrentCell, "fast_path_ok", property(lambda self: False))
        monkeypatch.setattr(GRUCell, "fast_path_ok", property(lambda self: False))
    return request.param


def _max_err(a, b):
    return max((u - v).abs().max().item() for u, v in zip(a, b, strict=True))


def _as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def _sizes(seed):
    g = torch.Generator().manual_seed(seed)
    return [
        int(torch.randint(lo, hi, (1,), generator=g)) for lo, hi in ((1, 5), (1, 7), (1, 6), (1, 6))
    ]  # B, T, F, H


def _torch_param_order(ours, theirs):
    """Our parameters in the order of ``theirs.named_parameters()`` (weight_ih_l0, ...)."""
    by_name = {
        f"{p}_{rec}": param
        for rec, r in ours.recurrences()
        for p, param in r.cell.named_parameters()
    }
    return [by_name[name] for name, _ in theirs.named_parameters()]


CASES = list(itertools.product(LAYERS, (1, 2, 3), (False, True), (False, True), (True, False)))


@pytest.mark.parametrize("kind,num_layers,bidirectional,given_state,batch_first", CASES)
def test_layer_matches_torch(kind, num_layers, bidirectional, given_state, batch_first, path):
    ours_cls, torch_cls = LAYERS[kind]
    B, T, F, H = _sizes(zlib.crc32(f"{kind}{num_layers}{bidirectional}{given_state}".encode()))
    theirs = torch_cls(
        F, H, num_layers, batch_first=batch_first, bidirectional=bidirectional
    ).double()
    ours = ours_cls.from_torch(theirs)
    assert ours.batch_first == batch_first
    x = torch.randn(
        (B, T, F) if batch_first else (T, B, F), dtype=torch.float64, requires_grad=True
    )
    D = 2 if bidirectional else 1
    n_states = 2 if kind == "lstm" else 1
    state = None
    if given_state:
        state = tuple(
            torch.randn(num_layers * D, B, H, dtype=torch.float64, requires_grad=True)
            for _ in range(n_states)
        )
    arg = None if state is None else (state if n_states == 2 else state[0])
    out_t, st_t = theirs(x, arg)
    out_o, st_o = ours(x, arg)
    st_t, st_o = _as_tuple(st_t), _as_tuple(st_o)
    assert out_o.shape == out_t.shape == ((B, T, D * H) if batch_first else (T, B, D * H))
    assert [s.shape for s in st_o] == [s.shape for s in st_t]
    assert _max_err((out_o, *st_o), (out_t, *st_t)) <= TOL

    w_out = torch.randn_like(out_t)
    w_st = [torch.randn_like(s) for s in st_t]

    def loss(out, st):
        return (out * w_out).sum() + sum((s * w).sum() for s, w in zip(st, w_st, strict=True))

    inputs_t = [x, *(state or ()), *theirs.parameters()]
    inputs_o = [x, *(state or ()), *_torch_param_order(ours, theirs)]
    grads_t = torch.autograd.grad(loss(out_t, st_t), inputs_t)
    grads_o = torch.autograd.grad(loss(out_o, st_o), inputs_o)
    assert _max_err(grads_o, grads_t) <= TOL


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("given_state", [False, True])
def test_cell_matches_torch(kind, given_state):
    ours_cls, torch_cls = CELLS[kind]
    B, F, H = 3, 4, 5
    theirs = torch_cls(F, H).double()
    ours = ours_cls.from_torch(theirs)
    x = torch.randn(B, F, dtype=torch.float64, requires_grad=True)
    n_states = 2 if kind == "lstm" else 1
    state = None
    if given_state:
        state = tuple(
            torch.randn(B, H, dtype=torch.float64, requires_grad=True) for _ in range(n_states)
        )
    arg = None if state is None else (state if n_states == 2 else state[0])
    new_t, new_o = _as_tuple(theirs(x, arg)), _as_tuple(ours(x, arg))
    assert _max_err(new_o, new_t) <= TOL
    w = [torch.randn_like(s) for s in new_t]
    inputs_t = [x, *(state or ()), *theirs.parameters()]
    inputs_o = [x, *(state or ()), *ours.parameters()]
    grads_t = torch.autograd.grad(
        sum((s * v).sum() for s, v in zip(new_t, w, strict=True)), inputs_t
    )
    grads_o = torch.autograd.grad(
        sum((s * v).sum() for s, v in zip(new_o, w, strict=True)), inputs_o
    )
    assert _max_err(grads_o, grads_t) <= TOL


@pytest.mark.parametrize("kind", LAYERS)
def test_to_torch_round_trip(kind):
    ours_cls, _ = LAYERS[kind]
    ours = ours_cls(3, 4, num_layers=2, bidirectional=True).double()
    theirs = ours.to_torch()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    assert _max_err((ours(x)[0],), (theirs(x)[0],)) <= TOL
    cell_cls, _ = CELLS[kind]
    cell = cell_cls(3, 4).double()
    x_t = torch.randn(2, 3, dtype=torch.float64)
    assert _max_err(_as_tuple(cell(x_t)), _as_tuple(cell.to_torch()(x_t))) <= TOL


def test_relu_rnn_matches_torch():
    theirs = nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True).double()
    ours = SimpleRNN.from_torch(theirs)
    x = torch.randn(2, 6, 3, dtype=torch.float64, requires_grad=True)
    (out_t, h_t), (out_o, h_o) = theirs(x), ours(x)
    assert _max_err((out_o, h_o), (out_t, h_t)) <= TOL
    g_t = torch.autograd.grad(out_t.sum(), [x, *theirs.parameters()])
    g_o = torch.autograd.grad(out_o.sum(), [x, *_torch_param_order(ours, theirs)])
    assert _max_err(g_o, g_t) <= TOL


@pytest.mark.parametrize("kind", LAYERS)
def test_no_bias_matches_torch(kind, path):
    ours_cls, torch_cls = LAYERS[kind]
    theirs = torch_cls(3, 4, 2, bias=False, batch_first=True, bidirectional=True).double()
    ours = ours_cls.from_torch(theirs)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    out_t, out_o = theirs(x)[0], ours(x)[0]
    assert _max_err((out_o,), (out_t,)) <= TOL
    g_t = torch.autograd.grad(out_t.square().sum(), [x, *theirs.parameters()])
    g_o = torch.autograd.grad(out_o.square().sum(), [x, *_torch_param_order(ours, theirs)])
    assert _max_err(g_o, g_t) <= TOL
