"""backend=torch and backend=gatework: same outputs with the same weights; clear refusals."""

from __future__ import annotations

import pytest
import torch
from models_testkit import build, make_spec, sine
from torch import nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.recurrent_options import RecurrentOptions

SPEC = SeriesSpec(input_len=12, n_inputs=2, n_targets=2, n_ahead=3, target_input_index=(0, 1))
CASES = [
    ("rnn", "vector", {"bidirectional": True, "num_layers": 2}),
    ("lstm", "vector", {"bidirectional": True, "num_layers": 2}),
    ("gru", "vector", {"num_layers": 2}),
    ("seq2seq", "sequence", {"cell": "lstm"}),
    ("encoder_decoder", "vector", {"cell": "lstm", "num_layers": 2}),
    ("cnn_lstm", "sequence", {}),
    ("conv_gru", "vector", {}),
]


@pytest.mark.parametrize(
    ("option", "value"), [("recurrent_dropout", 0.2), ("layer_norm", True), ("reset_after", False)]
)
def test_torch_backend_refuses_what_torch_nn_lacks(option: str, value):
    match = f"model.rnn.{option}={value} is not available in torch.nn"
    with pytest.raises(ValueError, match=match):
        RecurrentOptions(cell="gru", backend="torch", **{option: value})


def test_reset_after_is_a_gru_option():
    with pytest.raises(ValueError, match="reset_after=false applies to GRU only.*'lstm'"):
        RecurrentOptions(cell="lstm", reset_after=False)


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ValueError, match=r"backend must be one of \('gatework', 'torch'\)"):
        RecurrentOptions(backend="cudnn")


def test_unknown_option_lists_the_options():
    with pytest.raises(ValueError, match=r"model.rnn has no option 'hidden'; the options are \["):
        RecurrentOptions.of({"hidden": 4})


@pytest.mark.parametrize("name", ["seq2seq", "encoder_decoder"])
def test_models_forecasting_from_every_step_refuse_a_backward_direction(name: str):
    mode = "sequence" if name == "seq2seq" else "vector"
    spec = SeriesSpec(**{**SPEC.__dict__, "target_mode": mode})
    with pytest.raises(ValueError, match="set model.rnn.bidirectional=false"):
        build(name, spec, rnn={"bidirectional": True, "backend": "torch"})


def copy_into_gatework(torch_model: nn.Module, gatework_model: nn.Module) -> list[tuple]:
    """Gives ``gatework_model`` the weights of its backend=torch twin.

    Returns:
        Every parameter of the twins as (name, torch's, gatework's) pairs.
    """
    copied, pairs = [], []
    for name, module in torch_model.named_children():
        if isinstance(module, nn.RNNBase):
            ours = type(getattr(gatework_model, name)).from_torch(module)
            setattr(gatework_model, name, ours)
            copied.append(name + ".")
            pairs += [
                (f"{name}.{p}_{d}", getattr(module, f"{p}_{d}"), param)
                for d, direction in ours.directions()
                for p, param in direction.cell.named_parameters()
            ]
    result = gatework_model.load_state_dict(torch_model.state_dict(), strict=False)
    assert copied and all(key.startswith(tuple(copied)) for key in result.missing_keys)
    ours_by_name = dict(gatework_model.named_parameters())
    pairs += [
        (name, p, ours_by_name[name])
        for name, p in torch_model.named_parameters()
        if not name.startswith(tuple(copied))
    ]
    assert len(pairs) == len(list(torch_model.parameters())) == len(ours_by_name)
    return pairs


@pytest.mark.parametrize(("name", "mode", "overrides"), CASES, ids=[c[0] for c in CASES])
def test_backends_give_identical_outputs(name: str, mode: str, overrides: dict):
    spec = SeriesSpec(**{**SPEC.__dict__, "target_mode": mode})
    rnn = {"hidden_size": 8, **overrides}
    ref = build(name, spec, rnn={**rnn, "backend": "torch"}).double().eval()
    ours = build(name, spec, rnn={**rnn, "backend": "gatework"}).double().eval()
    pairs = copy_into_gatework(ref, ours)
    x = torch.randn(3, 12, 2, dtype=torch.float64)
    expected, got = ref.forecast(x), ours.forecast(x)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)
    weights = torch.randn_like(expected)
    (expected * weights).sum().backward()
    (got * weights).sum().backward()
    for name, theirs, mine in pairs:  # every parameter, the recurrent ones included
        torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-10, atol=1e-10, msg=name)


def test_gatework_only_options_train():
    series = sine(40)
    spec = make_spec(series, input_len=8, n_ahead=1)
    rnn = dict(recurrent_dropout=0.2, layer_norm=True, reset_after=False, dropout=0.1, num_layers=2)
    model = build("gru", spec, rnn=rnn)
    x = torch.randn(4, 8, 1)
    model.train()
    loss = model.forecast(x).square().mean()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
