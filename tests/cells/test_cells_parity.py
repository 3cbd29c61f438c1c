"""Parity with torch.nn in float64: outputs, final states and every gradient, on both paths."""

import itertools
import zlib

import pytest
import torch
from cells_testkit import CELLS, LAYERS, TOL, as_tuple, assert_same, max_err, sizes
from torch import nn

from gatework.cells import SimpleRNN


@pytest.fixture(params=[True, False], ids=["fast", "textbook"])
def fast(request):
    """Run each test on the fast kernel and on the cells' textbook step with autograd."""
    return request.param


def _state(kind, LD, B, H, P=None):
    """Random initial state(s) that need gradients: h (LD, B, P or H), c (LD, B, H)."""
    h = torch.randn(LD, B, P or H, dtype=torch.float64, requires_grad=True)
    if kind != "lstm":
        return h
    return h, torch.randn(LD, B, H, dtype=torch.float64, requires_grad=True)


CASES = list(itertools.product(LAYERS, (1, 2, 3), (False, True), (False, True), (True, False)))


@pytest.mark.parametrize("kind,num_layers,bidirectional,given_state,batch_first", CASES)
def test_layer_matches_torch(kind, num_layers, bidirectional, given_state, batch_first, fast):
    ours_cls, torch_cls = LAYERS[kind]
    B, T, F, H = sizes(zlib.crc32(f"{kind}{num_layers}{bidirectional}{given_state}".encode()))
    theirs = torch_cls(
        F, H, num_layers, batch_first=batch_first, bidirectional=bidirectional
    ).double()
    ours = ours_cls.from_torch(theirs)
    ours.fast = fast
    assert ours.batch_first == batch_first
    shape = (B, T, F) if batch_first else (T, B, F)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    D = 2 if bidirectional else 1
    state = _state(kind, num_layers * D, B, H) if given_state else None
    assert_same(theirs, ours, x, state)


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
    new_t, new_o = as_tuple(theirs(x, arg)), as_tuple(ours(x, arg))
    assert max_err(new_o, new_t) <= TOL
    w = [torch.randn_like(s) for s in new_t]
    inputs_t = [x, *(state or ()), *theirs.parameters()]
    inputs_o = [x, *(state or ()), *ours.parameters()]
    grads_t = torch.autograd.grad(
        sum((s * v).sum() for s, v in zip(new_t, w, strict=True)), inputs_t
    )
    grads_o = torch.autograd.grad(
        sum((s * v).sum() for s, v in zip(new_o, w, strict=True)), inputs_o
    )
    assert max_err(grads_o, grads_t) <= TOL


@pytest.mark.parametrize("kind", LAYERS)
def test_to_torch_round_trip(kind):
    ours_cls, _ = LAYERS[kind]
    ours = ours_cls(3, 4, num_layers=2, bidirectional=True).double()
    theirs = ours.to_torch()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    assert max_err((ours(x)[0],), (theirs(x)[0],)) <= TOL
    cell_cls, _ = CELLS[kind]
    cell = cell_cls(3, 4).double()
    x_t = torch.randn(2, 3, dtype=torch.float64)
    assert max_err(as_tuple(cell(x_t)), as_tuple(cell.to_torch()(x_t))) <= TOL


def test_relu_rnn_matches_torch(fast):
    theirs = nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True).double()
    ours = SimpleRNN.from_torch(theirs)
    ours.fast = fast
    assert ours.nonlinearity == "relu"
    x = torch.randn(2, 6, 3, dtype=torch.float64, requires_grad=True)
    assert_same(theirs, ours, x)


@pytest.mark.parametrize("kind", LAYERS)
def test_no_bias_matches_torch(kind, fast):
    ours_cls, torch_cls = LAYERS[kind]
    theirs = torch_cls(3, 4, 2, bias=False, batch_first=True, bidirectional=True).double()
    ours = ours_cls.from_torch(theirs)
    ours.fast = fast
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert_same(theirs, ours, x)
