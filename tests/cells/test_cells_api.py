"""Parameter counts, input checks, gate tracing and the hand-written backward."""

import pytest
import torch

import gatework.cells.loop as loop
from gatework.cells import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, trace_gates
from gatework.cells.bptt import bptt
from gatework.cells.loop import scan


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
    with pytest.raises(ValueError, match=r"\(T, B, F\).*got shape \(5, 3\)"):
        GRU(3, 3, batch_first=False)(torch.randn(5, 3))
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


def test_tracing_is_off_in_the_normal_forward(monkeypatch):
    """Only trace_gates asks the cells for named gate values."""

    def fail(self, bufs):
        raise AssertionError("gate values read outside trace_gates")

    monkeypatch.setattr(LSTMCell, "gate_values", fail)
    layer = LSTM(3, 4, num_layers=2, layer_norm=True).double()
    out, _ = layer(torch.randn(2, 5, 3, dtype=torch.float64))
    out.sum().backward()
    with pytest.raises(AssertionError, match="outside trace_gates"):
        trace_gates(layer, torch.randn(2, 5, 3, dtype=torch.float64))


@pytest.mark.parametrize("cell_cls", [SimpleRNNCell, LSTMCell, GRUCell])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("chunk_steps", [None, 1, 3])  # None: all 4 steps in one chunk
def test_handwritten_backward_gradcheck(cell_cls, reverse, chunk_steps, monkeypatch):
    cell = cell_cls(2, 3).double()
    T, B = 4, 2
    if chunk_steps is not None:  # the backward walks time in chunks of this many steps
        monkeypatch.setattr(loop, "CHUNK_BYTES", chunk_steps * B * 3 * len(cell.gates) * 8)
    x = torch.randn(T, B, 2, dtype=torch.float64, requires_grad=True)
    state = tuple(
        torch.randn(B, 3, dtype=torch.float64, requires_grad=True) for _ in cell.state_names
    )
    params = (cell.weight_ih, cell.bias_ih, cell.weight_hh, cell.bias_hh)

    def run(x, w_ih, b_ih, w_hh, b_hh, *state):  # the cell's own tensors, perturbed in place
        out, final = bptt(cell, x, state, reverse)
        return (out, *final)

    assert torch.autograd.gradcheck(run, (x, *params, *state))
    out_fast, _ = bptt(cell, x, state, reverse)
    out_ref, _ = scan(cell, cell.input_projection(x), state, reverse)
    torch.testing.assert_close(out_fast, out_ref, rtol=0, atol=1e-12)


def test_no_grad_inference_matches():
    layer = GRU(3, 4, num_layers=2).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    with torch.no_grad():
        fast = layer(x)[0]
    torch.testing.assert_close(fast, layer(x)[0].detach(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell_cls", [SimpleRNNCell, LSTMCell, GRUCell])
def test_inference_keeps_only_the_outputs(cell_cls):
    cell = cell_cls(2, 3).double()
    T, B = 6, 4
    x = torch.randn(T, B, 2, dtype=torch.float64)
    state = cell.initial_state(B, x)
    rec: dict = {}
    with torch.no_grad():
        out, final = scan(cell, None, state, False, None, rec, x, keep=("h",))
        ref, ref_final = scan(cell, cell.input_projection(x), state)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    for s, r in zip(final, ref_final, strict=True):
        torch.testing.assert_close(s, r, rtol=0, atol=1e-12)
    kept = {k: v.shape[0] for k, v in rec.items() if k != cell.xp_record}  # xp_record: xp, T
    assert kept == {k: (T if k == "h" else 1) for k in kept}


def test_relu_gradient_at_zero_matches_between_paths():
    # bias-free, zero input and zero state: every pre-activation of the first step is exactly 0
    layer = SimpleRNN(2, 3, nonlinearity="relu", bias=False).double()
    x = torch.zeros(2, 4, 2, dtype=torch.float64)
    x[:, 1:] = torch.randn(2, 3, 2, dtype=torch.float64)
    grads = []
    for fast in (True, False):
        for _, rec in layer.recurrences():
            rec.fast_backward = fast
        xg = x.clone().requires_grad_(True)
        out, _ = layer(xg)
        out.pow(2).sum().backward()
        grads.append(xg.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=1e-12)


def test_nonlinearity_is_fixed_at_construction():
    cell = SimpleRNNCell(2, 3)
    with pytest.raises(AttributeError, match="fixed at construction .*nonlinearity='relu'"):
        cell.nonlinearity = "relu"
    assert cell.nonlinearity == "tanh"


@pytest.mark.parametrize("layer_cls", [SimpleRNN, LSTM, GRU])
def test_weight_gradients_when_the_input_needs_none(layer_cls):
    # data inputs carry no gradient: the backward skips δx of the first layer, not the weights'
    theirs = layer_cls.torch_class(3, 4, num_layers=2, batch_first=True).double()
    ours = layer_cls.from_torch(theirs)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    for layer in (theirs, ours):
        out, _ = layer(x)
        out.pow(2).sum().backward()
    for name, rec in ours.recurrences():
        for p_name, p in rec.cell.named_parameters():
            expected = getattr(theirs, f"{p_name}_{name}").grad
            torch.testing.assert_close(p.grad, expected, rtol=0, atol=1e-10)


def test_time_chunks_cover_every_step_once_in_walking_order(monkeypatch):
    monkeypatch.setattr(loop, "CHUNK_BYTES", 1000)
    # 10 steps of 300 bytes in chunks of at most 1000 bytes: 3 steps per chunk, the last one short
    up = loop.time_chunks(10, 300, False, True)
    assert up == [range(0, 3), range(3, 6), range(6, 9), range(9, 10)]
    down = loop.time_chunks(10, 300, True, True)
    assert [list(c) for c in down] == [[9], [8, 7, 6], [5, 4, 3], [2, 1, 0]]
    assert loop.time_chunks(10, 300, True, False) == [range(9, -1, -1)]  # off the CPU: one chunk
