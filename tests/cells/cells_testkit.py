"""Shared by the cell tests: torch.nn twins, random sizes, and one float64 comparison of two
layers (outputs, final states and the gradient of every input, state and parameter)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from gatework.cells import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell

TOL = 1e-10
LAYERS = {"rnn": (SimpleRNN, nn.RNN), "lstm": (LSTM, nn.LSTM), "gru": (GRU, nn.GRU)}
CELLS = {
    "rnn": (SimpleRNNCell, nn.RNNCell),
    "lstm": (LSTMCell, nn.LSTMCell),
    "gru": (GRUCell, nn.GRUCell),
}


def max_err(a, b) -> float:
    return max((u - v).abs().max().item() for u, v in zip(a, b, strict=True))


def as_tuple(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


def sizes(seed: int) -> list[int]:
    """Random B, T, F, H in small ranges, the same for the same seed."""
    g = torch.Generator().manual_seed(seed)
    ranges = ((1, 5), (1, 7), (1, 6), (1, 6))
    return [int(torch.randint(lo, hi, (1,), generator=g)) for lo, hi in ranges]


def params_in_order(ours, theirs) -> list[torch.Tensor]:
    """Our parameters in the order of ``theirs.named_parameters()`` (weight_ih_l0, ...)."""
    by_name = {
        f"{p}_{name}": param
        for name, d in ours.directions()
        for p, param in d.cell.named_parameters()
    }
    assert len(by_name) == len(list(theirs.parameters()))
    return [by_name[name] for name, _ in theirs.named_parameters()]


def _data(out):
    return out.data if isinstance(out, PackedSequence) else out


def assert_same(theirs, ours, x, state=None, tol: float = TOL) -> None:
    """``ours(x, state)`` equals ``theirs(x, state)``: outputs, final states, and the gradients
    of a random weighting of both with respect to x, the state and every parameter.

    ``theirs`` may be a torch.nn layer (parameters matched by torch.nn's names) or a second
    gatework layer with the same parameters. ``x`` and ``state`` should require gradients.
    """
    out_t, st_t = theirs(x, state)
    out_o, st_o = ours(x, state)
    if isinstance(out_t, PackedSequence):
        assert isinstance(out_o, PackedSequence)
        assert torch.equal(out_o.batch_sizes, out_t.batch_sizes)
        for a, b in (
            (out_o.sorted_indices, out_t.sorted_indices),
            (out_o.unsorted_indices, out_t.unsorted_indices),
        ):
            assert (a is None and b is None) or torch.equal(a, b)
    st_t, st_o = as_tuple(st_t), as_tuple(st_o)
    out_t, out_o = _data(out_t), _data(out_o)
    assert out_o.shape == out_t.shape
    assert [s.shape for s in st_o] == [s.shape for s in st_t]
    assert max_err((out_o, *st_o), (out_t, *st_t)) <= tol

    w_out = torch.randn_like(out_t)
    w_st = [torch.randn_like(s) for s in st_t]

    def loss(out, st):
        return (out * w_out).sum() + sum((s * w).sum() for s, w in zip(st, w_st, strict=True))

    leaves = [_data(x), *as_tuple(state if state is not None else ())]
    leaves = [t for t in leaves if t.requires_grad]
    if isinstance(theirs, nn.RNNBase):
        params_t, params_o = list(theirs.parameters()), params_in_order(ours, theirs)
    else:
        params_t, params_o = list(theirs.parameters()), list(ours.parameters())
    grads_t = torch.autograd.grad(loss(out_t, st_t), leaves + params_t)
    grads_o = torch.autograd.grad(loss(out_o, st_o), leaves + params_o)
    assert max_err(grads_o, grads_t) <= tol
