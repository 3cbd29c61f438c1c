"""Parameter counts, input checks, gate tracing, and which path a layer runs."""

import pytest
import torch

import gatework.cells.direction as direction
from gatework.cells import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, trace_gates


def _count(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts():
    F, H = 4, 3
    textbook = F * H + H * H + H  # one bias
    assert textbook == 24
    assert _count(SimpleRNN(F, H)) == textbook + H == 27  # torch.nn's two biases
    assert _count(torch.nn.RNN(F, H)) == 27
    assert _count(LSTM(F, H)) == 4 * 27 == _count(torch.nn.LSTM(F, H))
    assert _count(GRU(F, H)) == 3 * 27 == _count(torch.nn.GRU(F, H))
    assert "24" in SimpleRNN.__doc__ and "27" in SimpleRNN.__doc__


def test_wrong_feature_size_names_expected_and_actual():
    with pytest.raises(ValueError, match=r"input_size = 4 .*got shape \(2, 5, 3\)"):
        LSTM(4, 3)(torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match=r"\(T, B, F\) or \(T, F\).*got shape \(5,\)"):
        GRU(3, 3, batch_first=False)(torch.randn(5))
    with pytest.raises(ValueError, match=r"expects input of shape \(B, 4\), got \(2, 3\)"):
        LSTMCell(4, 3)(torch.randn(2, 3))


def test_wrong_state_shape_names_expected_and_actual():
    x = torch.randn(2, 5, 3)
    with pytest.raises(ValueError, match=r"\(2, 2, 4\), got \[\(1, 2, 4\)\]"):
        GRU(3, 4, bidirectional=True)(x, torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"2 tensor\(s\) .*got \[\(1, 2, 4\)\]"):
        LSTM(3, 4)(x, torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"of shape \(2, 4\), got \[\(2, 5\)\]"):
        SimpleRNNCell(3, 4)(torch.randn(2, 3), torch.zeros(2, 5))


@pytest.mark.parametrize("value", [-0.5, 1.0, 2])
def test_dropout_outside_unit_interval(value):
    with pytest.raises(ValueError, match=rf"dropout must be in \[0, 1\), got {value}"):
        SimpleRNN(3, 4, num_layers=2, dropout=value)


def test_other_bad_options():
    with pytest.raises(ValueError, match="nonlinearity must be one of .*got 'sigmoid'"):
        SimpleRNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="num_layers must be an int >= 1, got 0"):
        GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="layer_norm=True has no torch.nn equivalent"):
        LSTM(3, 4, layer_norm=True).to_torch()
    with pytest.raises(ValueError, match="reset_after=False has no torch.nn equivalent"):
        GRUCell(3, 4, reset_after=False).to_torch()
    with pytest.raises(ValueError, match="peephole=True has no torch.nn equivalent"):
        LSTM(3, 4, peephole=True).to_torch()
    with pytest.raises(ValueError, match="torch.nn.LSTMCell has no proj_size"):
        LSTMCell(3, 4, proj_size=2).to_torch()
    with pytest.raises(ValueError, match=r"proj_size must be an int in \[0, hidden_size\), got 4"):
        LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="forget_bias sets a bias: use bias=True"):
        LSTM(3, 4, bias=False, forget_bias=1.0)
    with pytest.raises(ValueError, match="expects a torch.nn.LSTM"):
        LSTM.from_torch(torch.nn.GRU(3, 4))


def _pairs(trace, key, names):
    return [trace[f"{key}.{n}"] for n in names]


def test_trace_reproduces_lstm_by_hand():
    layer = LSTM(3, 4, num_layers=2, bidirectional=True).double().eval()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    out, _ = layer(x)
    trace = trace_gates(layer, x)
    assert len(trace) == 2 * 2 * 6 and all(v.shape == (2, 5, 4) for v in trace.values())
    inp = x
    for k in range(2):
        for d, key in enumerate((f"l{k}", f"l{k}_reverse")):
            cell = (layer.layers[k].fwd, layer.layers[k].bwd)[d].cell
            i, f, g, o, c, h = _pairs(trace, key, "ifgoch")
            W_ii, W_if, W_ig, W_io = cell.weight_ih.chunk(4)
            W_hi, W_hf, W_hg, W_ho = cell.weight_hh.chunk(4)
            b = (cell.bias_ih + cell.bias_hh).chunk(4)
            zeros = torch.zeros(2, 4, dtype=torch.float64)
            for t in range(5):
                p = t - 1 if d == 0 else t + 1  # the step this one follows
                h_prev = h[:, p] if 0 <= p < 5 else zeros
                c_prev = c[:, p] if 0 <= p < 5 else zeros
                x_t = inp[:, t]
                torch.testing.assert_close(
                    i[:, t], torch.sigmoid(x_t @ W_ii.T + h_prev @ W_hi.T + b[0])
                )
                torch.testing.assert_close(
                    f[:, t], torch.sigmoid(x_t @ W_if.T + h_prev @ W_hf.T + b[1])
                )
                torch.testing.assert_close(
                    g[:, t], torch.tanh(x_t @ W_ig.T + h_prev @ W_hg.T + b[2])
                )
                torch.testing.assert_close(
                    o[:, t], torch.sigmoid(x_t @ W_io.T + h_prev @ W_ho.T + b[3])
                )
                torch.testing.assert_close(c[:, t], f[:, t] * c_prev + i[:, t] * g[:, t])
                torch.testing.assert_close(h[:, t], o[:, t] * torch.tanh(c[:, t]))
        inp = torch.cat([trace[f"l{k}.h"], trace[f"l{k}_reverse.h"]], -1)
    torch.testing.assert_close(inp, out)


def test_trace_reproduces_gru_and_rnn_by_hand():
    gru = GRU(3, 4).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    tr = trace_gates(gru, x)
    assert sorted(tr) == ["l0.h", "l0.n", "l0.r", "l0.z"]
    cell = gru.layers[0].cell
    xr, xz, xn = (x @ cell.weight_ih.T + cell.bias_ih).chunk(3, -1)
    h_prev = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(5):
        hr, hz, hn = (h_prev @ cell.weight_hh.T + cell.bias_hh).chunk(3, -1)
        r, z = torch.sigmoid(xr[:, t] + hr), torch.sigmoid(xz[:, t] + hz)
        n = torch.tanh(xn[:, t] + r * hn)
        for name, v in zip("rzn", (r, z, n), strict=True):
            torch.testing.assert_close(tr[f"l0.{name}"][:, t], v)
        h_prev = (1 - z) * n + z * h_prev
        torch.testing.assert_close(tr["l0.h"][:, t], h_prev)
    rnn = SimpleRNN(3, 4, batch_first=False).double()
    x_tm = x.transpose(0, 1)
    torch.testing.assert_close(trace_gates(rnn, x_tm)["l0.h"], rnn(x_tm)[0].transpose(0, 1))


def test_trace_returns_what_the_textbook_step_names():
    layer = LSTM(3, 4, peephole=True, proj_size=2).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    trace = trace_gates(layer, x)
    assert {k: tuple(v.shape) for k, v in trace.items()} == {
        **{f"l0.{n}": (2, 5, 4) for n in "ifgoc"},
        "l0.h": (2, 5, 2),
    }
    torch.testing.assert_close(trace["l0.h"], layer(x)[0], rtol=0, atol=0)


class _Spy:
    """Counts the calls of the fast kernel's entry point as the layers see it."""

    def __init__(self, monkeypatch):
        self.calls, real = 0, direction.run_kernel

        def counting(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(direction, "run_kernel", counting)


def test_layers_run_the_kernel_only_where_it_applies(monkeypatch):
    spy = _Spy(monkeypatch)
    x = torch.randn(2, 5, 3)

    def calls(layer, inp=x):
        before = spy.calls
        layer(inp)
        return spy.calls - before

    assert calls(GRU(3, 4, num_layers=2, bidirectional=True)) == 4  # every direction of the stack
    assert calls(LSTM(3, 4, fast=False)) == 0
    assert calls(LSTM(3, 4, recurrent_dropout=0.3).train()) == 0  # dropout: textbook path
    assert calls(LSTM(3, 4, recurrent_dropout=0.3).eval()) == 1  # no mask at evaluation
    assert calls(LSTM(3, 4, peephole=True)) == 0
    assert calls(GRU(3, 4, reset_after=False)) == 0
    assert calls(SimpleRNN(3, 4, layer_norm=True)) == 0
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 3]), batch_first=True)
    assert calls(GRU(3, 4), packed) == 0
    layer, before = LSTM(3, 4), spy.calls
    trace_gates(layer, x)
    assert spy.calls == before


def test_trace_of_packed_sequences_is_zero_past_each_end():
    layer = LSTM(3, 4, bidirectional=True).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor([6, 3]), batch_first=True)
    trace = trace_gates(layer, packed)
    out, (h_n, c_n) = layer(packed)
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    torch.testing.assert_close(torch.cat([trace["l0.h"], trace["l0_reverse.h"]], -1), padded)
    assert all(v[1, 3:].abs().max() == 0 for v in trace.values())
    torch.testing.assert_close(trace["l0.c"][1, 2], c_n[0, 1])  # the forward final c, at t = 2
    unbatched = trace_gates(layer, x[0])
    torch.testing.assert_close(unbatched["l0.h"], trace_gates(layer, x)["l0.h"][0])


def test_simple_rnn_nonlinearity_is_read_from_its_cells():
    layer = SimpleRNN(3, 4, num_layers=2).double()
    layer.layers[0].cell.nonlinearity = "relu"  # one cell changed by hand
    with pytest.raises(ValueError, match=r"disagree \(\['relu', 'tanh'\]\)"):
        _ = layer.nonlinearity
    layer.layers[1].cell.nonlinearity = "relu"
    assert layer.nonlinearity == "relu" and "nonlinearity='relu'" in repr(layer)
    theirs = layer.to_torch()
    assert theirs.nonlinearity == "relu"
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    torch.testing.assert_close(theirs(x)[0], layer(x)[0], rtol=0, atol=1e-12)
