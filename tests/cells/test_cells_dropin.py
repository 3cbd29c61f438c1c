"""Drop-in for torch.nn.RNN/LSTM/GRU: proj_size, packed sequences, unbatched input (float64)."""

import itertools
import zlib

import pytest
import torch
from cells_testkit import LAYERS, assert_same, sizes
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from gatework.cells import LSTM


def _state(kind, LD, B, H, P=0, batched=True):
    lead = (LD, B) if batched else (LD,)
    h = torch.randn(*lead, P or H, dtype=torch.float64, requires_grad=True)
    if kind != "lstm":
        return h
    return h, torch.randn(*lead, H, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize(
    "num_layers,bidirectional,given_state",
    list(itertools.product((1, 2), (False, True), (False, True))),
)
def test_proj_size_matches_torch(num_layers, bidirectional, given_state):
    B, T, F, H = sizes(zlib.crc32(f"proj{num_layers}{bidirectional}{given_state}".encode()))
    H, P = H + 1, max(1, H // 2)  # proj_size < hidden_size
    theirs = nn.LSTM(
        F, H, num_layers, batch_first=True, bidirectional=bidirectional, proj_size=P
    ).double()
    ours = LSTM.from_torch(theirs)
    assert ours.state_sizes == {"h": P, "c": H}
    x = torch.randn(B, T, F, dtype=torch.float64, requires_grad=True)
    D = 2 if bidirectional else 1
    state = _state("lstm", num_layers * D, B, H, P) if given_state else None
    assert_same(theirs, ours, x, state)
    back = ours.to_torch()
    assert back.proj_size == P
    torch.testing.assert_close(back(x)[0], theirs(x)[0], rtol=0, atol=1e-12)


PACKED = list(itertools.product(LAYERS, (1, 2), (False, True), (False, True), (False, True)))


@pytest.mark.parametrize("kind,num_layers,bidirectional,enforce_sorted,given_state", PACKED)
def test_packed_sequences_match_torch(kind, num_layers, bidirectional, enforce_sorted, given_state):
    ours_cls, torch_cls = LAYERS[kind]
    B, T, F, H = sizes(zlib.crc32(f"packed{kind}{num_layers}{bidirectional}".encode()))
    B, T = B + 2, T + 3
    g = torch.Generator().manual_seed(B * T)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T  # the longest sets the padded length
    if enforce_sorted:
        lengths = lengths.sort(descending=True).values
    x = torch.randn(B, T, F, dtype=torch.float64, requires_grad=True)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    theirs = torch_cls(F, H, num_layers, batch_first=True, bidirectional=bidirectional).double()
    ours = ours_cls.from_torch(theirs)
    D = 2 if bidirectional else 1
    state = _state(kind, num_layers * D, B, H) if given_state else None
    assert_same(theirs, ours, packed, state)


@pytest.mark.parametrize(
    "kind,batch_first,given_state", list(itertools.product(LAYERS, (True, False), (False, True)))
)
def test_unbatched_input_matches_torch(kind, batch_first, given_state):
    ours_cls, torch_cls = LAYERS[kind]
    theirs = torch_cls(3, 4, 2, batch_first=batch_first, bidirectional=True).double()
    ours = ours_cls.from_torch(theirs)
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)  # (T, F)
    state = _state(kind, 4, None, 4, batched=False) if given_state else None
    assert_same(theirs, ours, x, state)
    out, _ = ours(x, state)
    assert out.shape == (5, 8)
