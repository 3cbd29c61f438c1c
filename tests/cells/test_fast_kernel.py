"""The fast kernel against the textbook step it restates: float64, every output and gradient."""

import copy
import itertools

import pytest
import torch
from cells_testkit import LAYERS, assert_same

import gatework.cells.fast.recording as loop
from gatework.cells import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from gatework.cells.fast import kernel_for, run_kernel
from gatework.cells.fast.recording import record

TOL = 1e-10
CASES = list(itertools.product(LAYERS, (1, 2), (False, True), (1, 3, None)))


def _twins(layer):
    """The layer on the fast kernel, and a copy with the same weights on the textbook step."""
    textbook = copy.deepcopy(layer)
    layer.fast, textbook.fast = True, False
    return layer, textbook


@pytest.mark.parametrize("kind,num_layers,bidirectional,chunk_steps", CASES)
def test_fast_equals_textbook(kind, num_layers, bidirectional, chunk_steps, monkeypatch):
    B, T, F, H = 3, 11, 4, 5
    if chunk_steps is not None:  # the forward and backward walk time in chunks of this many steps
        G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
        monkeypatch.setattr(loop, "CHUNK_BYTES", chunk_steps * B * G * H * 8)
    layer = LAYERS[kind][0](F, H, num_layers, bidirectional=bidirectional).double()
    fast, textbook = _twins(layer)
    x = torch.randn(B, T, F, dtype=torch.float64, requires_grad=True)
    D, n_states = (2 if bidirectional else 1), (2 if kind == "lstm" else 1)
    state = tuple(
        torch.randn(num_layers * D, B, H, dtype=torch.float64, requires_grad=True)
        for _ in range(n_states)
    )
    assert_same(textbook, fast, x, state if n_states == 2 else state[0], tol=TOL)


@pytest.mark.parametrize("layer_cls", [SimpleRNN, LSTM, GRU])
def test_fast_equals_textbook_without_input_gradient(layer_cls):
    # data inputs carry no gradient: the kernel skips δx, not the weights' gradients
    fast, textbook = _twins(layer_cls(3, 4, num_layers=2).double())
    assert_same(textbook, fast, torch.randn(2, 5, 3, dtype=torch.float64), tol=TOL)


@pytest.mark.parametrize("cell_cls", [SimpleRNNCell, LSTMCell, GRUCell])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("chunk_steps", [None, 1, 3])  # None: all 4 steps in one chunk
def test_handwritten_backward_gradcheck(cell_cls, reverse, chunk_steps, monkeypatch):
    cell = cell_cls(2, 3).double()
    T, B = 4, 2
    if chunk_steps is not None:
        monkeypatch.setattr(loop, "CHUNK_BYTES", chunk_steps * B * 3 * len(cell.gates) * 8)
    x = torch.randn(T, B, 2, dtype=torch.float64, requires_grad=True)
    state = tuple(
        torch.randn(B, 3, dtype=torch.float64, requires_grad=True) for _ in cell.state_names
    )
    params = (cell.weight_ih, cell.bias_ih, cell.weight_hh, cell.bias_hh)

    def run(x, w_ih, b_ih, w_hh, b_hh, *state):  # the cell's own tensors, perturbed in place
        out, final = run_kernel(kernel_for(cell), x, state, reverse)
        return (out, *final)

    assert torch.autograd.gradcheck(run, (x, *params, *state))


@pytest.mark.parametrize("cell_cls", [SimpleRNNCell, LSTMCell, GRUCell])
def test_inference_keeps_only_the_outputs(cell_cls):
    cell = cell_cls(2, 3).double()
    T, B = 6, 4
    x = torch.randn(T, B, 2, dtype=torch.float64)
    kernel, state = kernel_for(cell), cell.initial_state(B, x)
    rec: dict = {}
    with torch.no_grad():
        out, _ = record(kernel, x, state, False, rec, keep=("h",))
        ref, _ = record(kernel, x, state, False, {})
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    kept = {k: v.shape[0] for k, v in rec.items() if k != kernel.xp_record}  # xp_record: T
    assert kept == {k: (T if k == "h" else 1) for k in kept}


def test_no_grad_inference_matches():
    fast, textbook = _twins(GRU(3, 4, num_layers=2).double())
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    with torch.no_grad():
        got = fast(x)[0]
    torch.testing.assert_close(got, textbook(x)[0].detach(), rtol=0, atol=1e-12)


def test_relu_gradient_at_zero_matches_between_paths():
    # bias-free, zero input and zero state: every pre-activation of the first step is exactly 0
    fast, textbook = _twins(SimpleRNN(2, 3, nonlinearity="relu", bias=False).double())
    x = torch.zeros(2, 4, 2, dtype=torch.float64)
    x[:, 1:] = torch.randn(2, 3, 2, dtype=torch.float64)
    assert_same(textbook, fast, x.requires_grad_(True), tol=1e-12)


def test_changing_the_nonlinearity_reaches_the_kernel():
    fast, textbook = _twins(SimpleRNN(2, 3).double())
    x = torch.randn(2, 5, 2, dtype=torch.float64)
    before = fast(x)[0]
    fast.nonlinearity = textbook.nonlinearity = "relu"
    assert (fast(x)[0] - before).abs().max() > 1e-3
    assert_same(textbook, fast, x.requires_grad_(True), tol=TOL)


def test_kernel_covers_only_what_it_computes():
    assert kernel_for(LSTMCell(2, 3)) is not None
    assert kernel_for(GRUCell(2, 3)) is not None
    assert kernel_for(SimpleRNNCell(2, 3, nonlinearity="relu")) is not None
    for cell in (
        LSTMCell(2, 3, peephole=True),
        LSTMCell(2, 3, proj_size=2),
        LSTMCell(2, 3, layer_norm=True),
        GRUCell(2, 3, reset_after=False),
        SimpleRNNCell(2, 3, layer_norm=True),
    ):
        assert kernel_for(cell) is None, cell

    class MyLSTMCell(LSTMCell):  # a subclass may change step: it runs its own
        pass

    assert kernel_for(MyLSTMCell(2, 3)) is None


def test_time_chunks_cover_every_step_once_in_walking_order(monkeypatch):
    monkeypatch.setattr(loop, "CHUNK_BYTES", 1000)
    # 10 steps of 300 bytes in chunks of at most 1000 bytes: 3 steps per chunk, the last one short
    up = loop.time_chunks(10, 300, False, True)
    assert up == [range(0, 3), range(3, 6), range(6, 9), range(9, 10)]
    down = loop.time_chunks(10, 300, True, True)
    assert [list(c) for c in down] == [[9], [8, 7, 6], [5, 4, 3], [2, 1, 0]]
    assert loop.time_chunks(10, 300, True, False) == [range(9, -1, -1)]  # off the CPU: one chunk


def test_second_derivatives_are_refused_not_silently_wrong():
    layer = GRU(2, 3).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(layer(x)[0].square().sum(), x)  # first derivatives: fine
    with pytest.raises(RuntimeError, match="not differentiable .*build the layer with fast=False"):
        torch.autograd.grad(layer(x)[0].square().sum(), x, create_graph=True)
    layer.fast = False  # the textbook step has second derivatives
    (g2,) = torch.autograd.grad(layer(x)[0].square().sum(), x, create_graph=True)
    torch.testing.assert_close(g2, g, rtol=0, atol=1e-12)
    assert g2.requires_grad


def test_a_frozen_layer_records_nothing_for_a_backward():
    layer = LSTM(2, 3).double().requires_grad_(False)
    out, _ = layer(torch.randn(2, 4, 2, dtype=torch.float64))  # grad mode on, nothing to train
    assert out.grad_fn is None
