"""Causal convolutions: the output at step t never reads inputs after t."""

from __future__ import annotations

import pytest
import torch
from models_testkit import build

from gatework.datamodules.spec import SeriesSpec
from gatework.models.causal_conv import CausalConv1d
from gatework.models.wavenet import receptive_field

T = 24
SPEC = SeriesSpec(input_len=T, n_inputs=2, n_targets=1, n_ahead=3, target_mode="sequence")


def assert_causal(forward, x: torch.Tensor, t: int) -> None:
    """Perturbing the inputs after step t leaves the outputs up to t unchanged, not after."""
    changed = x.clone()
    changed[:, t + 1 :] += torch.randn_like(changed[:, t + 1 :])
    before, after = forward(x), forward(changed)
    torch.testing.assert_close(after[:, : t + 1], before[:, : t + 1], rtol=0, atol=0)
    assert not torch.allclose(after[:, t + 1 :], before[:, t + 1 :])


@pytest.mark.parametrize("dilation", [1, 3])
def test_causal_conv1d(dilation: int):
    conv = CausalConv1d(2, 4, kernel_size=3, dilation=dilation)
    x = torch.randn(2, T, 2)
    for t in (0, 7, T - 2):
        assert_causal(lambda v: conv(v.transpose(1, 2)).transpose(1, 2), x, t)


@pytest.mark.parametrize("name", ["wavenet", "plain_wavenet", "cnn_lstm"])
def test_causal_models(name: str):
    overrides = {"rnn": {"backend": "torch"}} if name == "cnn_lstm" else {}
    if name == "plain_wavenet":
        name, overrides = "wavenet", {"residual": False}
    model = build(name, SPEC, **overrides).eval()
    x = torch.randn(2, T, 2)
    with torch.no_grad():
        for t in (0, 11, T - 2):
            assert_causal(model.forecast, x, t)


def test_wavenet_receptive_field_is_logged_and_enforced():
    assert receptive_field(2, [1, 2, 4, 8]) == 16
    assert receptive_field(3, [1, 2, 4, 8, 1, 2, 4, 8]) == 61
    model = build("wavenet", SPEC)
    assert model.hparams["receptive_field"] == model.receptive_field == 64
    with pytest.raises(ValueError, match="receptive field 8 steps < data.input_len=24"):
        build("wavenet", SPEC, dilations=[1, 2, 4], require_full_receptive_field=True)
    with pytest.warns(UserWarning, match="receptive field 8 steps"):
        build("wavenet", SPEC, dilations=[1, 2, 4])


def test_wavenet_output_reads_exactly_its_receptive_field():
    with pytest.warns(UserWarning, match="receptive field 8 steps"):
        model = build("wavenet", SPEC, dilations=[1, 2, 4], filters=8).eval()
    x = torch.rand(1, T, 2) + 0.1
    for p in model.parameters():  # positive weights and inputs: every ReLU passes every tap
        p.data.uniform_(0.1, 0.2)
    grad = torch.autograd.functional.jacobian(lambda v: model.forecast(v)[0, -1, 0], x)
    reached = grad.abs().sum(dim=-1)[0] > 0  # (T,): input steps the last output depends on
    assert reached.nonzero().flatten().tolist() == list(range(T - 8, T))


def test_plain_wavenet_is_gerons_stack():
    """Conv1D(20, 2, causal, relu) at rates (1, 2, 4, 8) twice, then Conv1D(10, 1): Keras counts
    20·(1·2 + 1) + 7·20·(20·2 + 1) + 10·(20 + 1) weights for one input column."""
    spec = SeriesSpec(input_len=50, n_inputs=1, n_targets=1, n_ahead=10, target_mode="sequence")
    with pytest.warns(UserWarning, match="receptive field 31 steps"):
        model = build("wavenet", spec, residual=False, filters=20, dilations=[1, 2, 4, 8] * 2)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 20 * 3 + 7 * 20 * 41 + 10 * 21
    assert model.forecast(torch.randn(3, 50, 1)).shape == (3, 50, 10)


def test_conv_gru_on_sequence_targets_forecasts_from_its_strided_steps():
    """Géron's Conv1D(kernel 4, stride 2) + GRUs trained on Y[:, 3::2]: output t' stands for
    input step 3 + 2t', reads no input after it, and the last one is the last input step's."""
    spec = SeriesSpec(input_len=50, n_inputs=1, n_targets=1, n_ahead=10, target_mode="sequence")
    model = build("conv_gru", spec, filters=20, rnn={"hidden_size": 20, "backend": "torch"})
    y = torch.arange(50.0).view(1, 50, 1).expand(2, 50, 10)  # row t holds t
    assert model.align_targets(y)[0, :, 0].tolist() == list(range(3, 50, 2))
    x = torch.randn(2, 50, 1)
    with torch.no_grad():
        out = model.eval().forecast(x)  # (2, 24, 10)
        changed = x.clone()
        changed[:, 20:] += 1.0  # steps 20.. : outputs up to t' = 8 (input step 19) unchanged
        after = model.forecast(changed)
    assert out.shape == (2, 24, 10)
    torch.testing.assert_close(after[:, :9], out[:, :9], rtol=0, atol=0)
    assert not torch.allclose(after[:, 9:], out[:, 9:])


def test_conv_gru_convolution_is_relu_or_linear_as_asked():
    spec = SeriesSpec(input_len=16, n_inputs=1, n_targets=1, n_ahead=1)
    linear = build("conv_gru", spec, conv_activation="none", rnn={"backend": "torch"}).eval()
    x = torch.randn(2, 16, 1)
    with torch.no_grad():
        h = linear.conv(x[:, linear.skip :].transpose(1, 2))
        assert (h < 0).any()  # nothing cut at zero before the GRU
        _, h_n = linear.gru(h.transpose(1, 2))
        torch.testing.assert_close(linear(x), linear.head(h_n[-1]))
    with pytest.raises(ValueError, match=r"conv_activation must be one of \('relu', 'none'\)"):
        build("conv_gru", spec, conv_activation="tanh", rnn={"backend": "torch"})
