"""model.rnn: per-layer sizes, a head-less output and Keras' initialisation, on both backends."""

from __future__ import annotations

import math

import pytest
import torch
from models_testkit import BACKENDS, build

from gatework.datamodules.spec import SeriesSpec
from gatework.models.layer_stack import LayerStack
from gatework.models.recurrent_options import RecurrentOptions

ONE = SeriesSpec(input_len=12, n_inputs=1, n_targets=1, n_ahead=1, target_input_index=(0,))
TEN = SeriesSpec(input_len=12, n_inputs=1, n_targets=1, n_ahead=10, target_input_index=(0,))


@pytest.mark.parametrize("backend", BACKENDS)
def test_geron_deep_rnn_20_20_1_without_a_head(backend: str):
    """Keras' SimpleRNN(20), SimpleRNN(20), SimpleRNN(1): the last layer is the forecast."""
    rnn = {"cell": "rnn", "hidden_size": [20, 20, 1], "head": False, "backend": backend}
    model = build("rnn", ONE, rnn=rnn).eval()
    assert isinstance(model.rnn, LayerStack) and isinstance(model.head, torch.nn.Identity)
    # torch's two biases per layer: F·H + H·H + 2H for (F, H) = (1, 20), (20, 20), (20, 1)
    expected = sum(f * h + h * h + 2 * h for f, h in [(1, 20), (20, 20), (20, 1)])
    assert sum(p.numel() for p in model.parameters()) == expected
    x = torch.randn(5, 12, 1)
    with torch.no_grad():
        out, states = model.rnn(x)  # out (5, 12, 1): the last layer's hidden states
        pred = model.forecast(x)
    assert [s.shape for s in states] == [(1, 5, 20), (1, 5, 20), (1, 5, 1)]
    torch.testing.assert_close(pred, out[:, -1])  # the final state of the 1-unit layer
    assert pred.abs().max() < 1  # a tanh unit


def test_per_layer_sizes_match_torch_layers_run_one_after_the_other():
    model = build("lstm", ONE, rnn={"hidden_size": [8, 4], "backend": "torch"}).eval()
    first, second = model.rnn.layers
    x = torch.randn(3, 12, 1)
    with torch.no_grad():
        h, _ = first(x)
        out, (h_n, _) = second(h)
        torch.testing.assert_close(model.forecast(x), model.head(h_n[-1]))
    assert (first.hidden_size, second.hidden_size, second.input_size) == (8, 4, 8)


def test_encoder_decoder_passes_per_layer_states_to_its_decoder():
    spec = SeriesSpec(input_len=12, n_inputs=1, n_targets=1, n_ahead=3, target_input_index=(0,))
    model = build("encoder_decoder", spec, rnn={"hidden_size": [6, 4], "backend": "torch"})
    assert model.eval().forecast(torch.randn(2, 12, 1)).shape == (2, 3)


def test_a_head_less_stack_must_end_with_the_forecast_width():
    rnn = {"cell": "rnn", "hidden_size": [20, 20], "head": False, "backend": "torch"}
    message = r"head=false .* needs 10 output\(s\) .* got 20 .* e.g. \[20, 20, 10\]"
    with pytest.raises(ValueError, match=message):
        build("rnn", TEN, rnn=rnn)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"hidden_size": [20, 0]}, r"hidden_size must be a positive int or a list of them"),
        ({"hidden_size": [20, 20], "num_layers": 3}, r"gives 2 layers, but .*num_layers=3"),
        ({"init": "xavier"}, r"model.rnn.init must be one of \('torch', 'keras'\)"),
    ],
)
def test_bad_options_name_the_fix(options: dict, message: str):
    with pytest.raises(ValueError, match=message):
        RecurrentOptions.of(options)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("cell", "gates"), [("lstm", 4), ("gru", 3), ("rnn", 1)])
def test_keras_initialisation(backend: str, cell: str, gates: int):
    """Glorot-uniform kernels over the whole (F, G·H), orthogonal recurrent kernels, zero
    biases but the LSTM forget gate's 1, a Glorot-uniform head: Keras' defaults."""
    torch.manual_seed(1)
    F, H = 3, 16
    spec = SeriesSpec(input_len=12, n_inputs=F, n_targets=1, n_ahead=2, target_input_index=(0,))
    rnn = {"cell": cell, "hidden_size": H, "num_layers": 2, "init": "keras", "backend": backend}
    params = dict(build(cell, spec, rnn=rnn).named_parameters())
    w_ih = [p for n, p in params.items() if "weight_ih" in n]
    w_hh = [p for n, p in params.items() if "weight_hh" in n]
    assert len(w_ih) == len(w_hh) == 2
    for w, fan_in in zip(w_ih, (F, H), strict=True):
        limit = math.sqrt(6 / (fan_in + gates * H))
        assert w.abs().max() <= limit and w.abs().max() > 0.9 * limit  # U(±limit)
    for w in w_hh:  # (G*H, H) with orthonormal columns: Keras' (H, G*H) has orthonormal rows
        torch.testing.assert_close(w.T @ w, torch.eye(H), atol=1e-5, rtol=0)
    for name, b in params.items():
        if "bias_ih" in name and cell == "lstm":
            expected = torch.zeros(4 * H)
            expected[H : 2 * H] = 1.0  # i, f, g, o: the forget gate starts open
            torch.testing.assert_close(b, expected)
        elif "bias_" in name and "head" not in name:
            assert not b.any(), name
    head = params["head.weight"]
    assert head.abs().max() <= math.sqrt(6 / (H + 2)) and not params["head.bias"].any()


def test_torch_initialisation_is_the_default():
    model = build("lstm", ONE, rnn={"hidden_size": 16, "backend": "torch"})
    bias = model.rnn.bias_ih_l0
    assert bias.abs().max() <= 1 / 4 and bias[16:32].abs().max() < 1  # U(±1/√H), no forget 1
