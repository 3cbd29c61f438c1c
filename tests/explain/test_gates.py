"""Gate heatmaps: the traced gates are the layer's computation, for either backend."""

import pytest
import torch

from gatework.cells import GRU, LSTM
from gatework.explain import gates
from gatework.explain.gates import explain_gates, saturation, trace_layer
from gatework.explain.recurrent import as_gatework, layer_input
from gatework.explain.study import split_windows
from gatework.models import CNNLSTM, Recurrent


def recompute_lstm(trace: dict, prefix: str = "l0") -> tuple[torch.Tensor, torch.Tensor]:
    """c_t = f_t ⊙ c_prev + i_t ⊙ g_t and h_t = o_t ⊙ tanh(c_t), from the traced gates."""
    i, f, g, o = (trace[f"{prefix}.{n}"] for n in "ifgo")  # (B, T, H)
    c_prev, cs, hs = torch.zeros_like(i[:, 0]), [], []
    for t in range(i.shape[1]):
        c_prev = f[:, t] * c_prev + i[:, t] * g[:, t]
        cs.append(c_prev)
        hs.append(o[:, t] * torch.tanh(c_prev))
    return torch.stack(cs, 1), torch.stack(hs, 1)


def recompute_gru(trace: dict, prefix: str = "l0") -> torch.Tensor:
    """h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_prev, from the traced gates."""
    z, n = trace[f"{prefix}.z"], trace[f"{prefix}.n"]
    h_prev, hs = torch.zeros_like(z[:, 0]), []
    for t in range(z.shape[1]):
        h_prev = (1 - z[:, t]) * n[:, t] + z[:, t] * h_prev
        hs.append(h_prev)
    return torch.stack(hs, 1)


def test_traced_lstm_gates_reproduce_torch_nn_outputs():
    """A torch.nn LSTM (backend=torch) copied into gatework: its gates give torch's numbers."""
    reference = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True).double()
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    out, (h_n, c_n) = reference(x)
    trace = trace_layer(as_gatework(reference), x)
    c, h = recompute_lstm(trace, "l1")
    torch.testing.assert_close(h, out)  # float64 defaults: exact up to rounding
    torch.testing.assert_close(c[:, -1], c_n[1])
    torch.testing.assert_close(trace["l1.h"], out)
    torch.testing.assert_close(trace["l1.c"], c)


def test_traced_gru_gates_reproduce_torch_nn_outputs():
    reference = torch.nn.GRU(2, 4, batch_first=True).double()
    x = torch.randn(3, 11, 2, dtype=torch.float64)
    out, _ = reference(x)
    trace = trace_layer(GRU.from_torch(reference), x)
    torch.testing.assert_close(recompute_gru(trace), out)
    assert {"l0.r", "l0.z", "l0.n", "l0.h"} <= set(trace)


def test_saturation_counts_the_values_outside_the_band():
    trace = {
        "l0.f": torch.tensor([[[0.01, 0.5, 0.99, 0.96]]]),  # 3 of 4 saturated
        "l0.g": torch.tensor([[[-0.95, 0.0, 0.5, 0.91]]]),  # tanh: beyond ±0.9, 2 of 4
        "l0.c": torch.tensor([[[5.0, 0.0, 0.0, 0.0]]]),  # a state: not counted
    }
    assert saturation(trace) == pytest.approx({"l0.f": 0.75, "l0.g": 0.5})


@pytest.mark.parametrize("backend", ["torch", "gatework"])
def test_explain_gates_draws_the_models_own_computation(tmp_path, synthetic, backend):
    torch.manual_seed(0)
    model = Recurrent(synthetic.spec, rnn={"cell": "lstm", "hidden_size": 6, "backend": backend})
    summary = explain_gates(model, synthetic, 3, "l0", tmp_path / "gates.png")
    assert summary["copied_from_torch"] == (backend == "torch")
    assert summary["layer"] == "rnn"
    assert summary["max_abs_error"] < 1e-6
    assert set(summary["saturation"]) == {"l0.i", "l0.f", "l0.g", "l0.o"}
    assert (tmp_path / "gates.png").read_bytes().startswith(b"\x89PNG")


def test_a_copy_that_differs_from_the_torch_layer_is_reported(tmp_path, synthetic, monkeypatch):
    torch.manual_seed(0)
    model = Recurrent(synthetic.spec, rnn={"cell": "lstm", "hidden_size": 6, "backend": "torch"})

    def bad_copy(layer):
        copy = as_gatework(layer)
        with torch.no_grad():
            copy.layers[0].cell.weight_hh.mul_(-3)
        return copy

    monkeypatch.setattr(gates, "as_gatework", bad_copy)
    summary = explain_gates(model, synthetic, 3, "l0", tmp_path / "gates.png")
    assert summary["max_abs_error"] > 0.01  # checked against torch.nn's output, not the copy's


def test_the_top_of_a_deep_stack_is_compared_with_the_output(tmp_path, synthetic):
    torch.manual_seed(0)
    model = Recurrent(synthetic.spec, rnn={"cell": "gru", "hidden_size": 3, "num_layers": 12})
    summary = explain_gates(model, synthetic, 0, "l11", tmp_path / "gates.png")
    assert summary["max_abs_error"] < 1e-6  # l11, not l9 (which sorts last as text)


def test_a_cnn_lstm_is_traced_on_its_convolution_features(tmp_path, synthetic):
    model = CNNLSTM(synthetic.spec, filters=4, rnn={"cell": "lstm", "hidden_size": 5})
    batch = split_windows(synthetic, [0])
    features = layer_input(model, model.lstm, batch)
    expected = model.conv(batch[0].transpose(1, 2)).relu().transpose(1, 2)
    torch.testing.assert_close(features, expected.detach())
    summary = explain_gates(model, synthetic, 0, "l0", tmp_path / "gates.png")
    assert summary["max_abs_error"] < 1e-6


def test_a_tanh_simple_rnn_reports_the_saturation_of_h(tmp_path, synthetic):
    torch.manual_seed(0)
    model = Recurrent(synthetic.spec, rnn={"cell": "rnn", "hidden_size": 4, "num_layers": 2})
    summary = explain_gates(model, synthetic, 0, "l1", tmp_path / "gates.png")
    assert summary["recurrence"] == "l1"
    assert set(summary["saturation"]) == {"l0.h", "l1.h"}
    layer = as_gatework(model.rnn)
    h = trace_layer(layer, layer_input(model, model.rnn, split_windows(synthetic, [0])))["l1.h"]
    assert summary["saturation"]["l1.h"] == pytest.approx((h.abs() > 0.9).float().mean().item())


def test_unknown_recurrence_and_window_are_named(tmp_path, synthetic):
    model = Recurrent(synthetic.spec, rnn={"cell": "gru", "hidden_size": 4})
    with pytest.raises(ValueError, match=r"gates.layer='l3': the layer has \['l0'\]"):
        explain_gates(model, synthetic, 0, "l3", tmp_path / "g.png")
    with pytest.raises(ValueError, match="the test split has 50 windows"):
        explain_gates(model, synthetic, 50, "l0", tmp_path / "g.png")


def test_lstm_layer_from_torch_keeps_the_class():
    assert isinstance(as_gatework(torch.nn.LSTM(2, 3, batch_first=True)), LSTM)
    with pytest.raises(ValueError, match="expected a SimpleRNN, LSTM or GRU layer, got Linear"):
        as_gatework(torch.nn.Linear(2, 3))
