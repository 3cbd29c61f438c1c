"""instance_norm: each window's level (and spread) out before the network, back after."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from models_testkit import (
    CONFIG_NAMES,
    WindowDataModule,
    build,
    make_spec,
    model_config,
    sine,
    windows,
)

from gatework.datamodules.spec import SeriesSpec

B, T = 4, 16
SPEC = SeriesSpec(input_len=T, n_inputs=2, n_targets=2, n_ahead=3, target_input_index=(1, 0))
VECTOR_MODELS = [n for n in CONFIG_NAMES if n != "seq2seq"]  # seq2seq: sequence targets only


def rnn_backend(name: str) -> dict:
    """torch.nn's layers for the recurrent models: quicker to build, the same forecasts."""
    return {"rnn": {"backend": "torch"}} if "rnn" in model_config(name) else {}


@pytest.mark.parametrize("mode", ["last", "mean"])
@pytest.mark.parametrize("name", VECTOR_MODELS)
def test_every_model_follows_a_level_shift(name: str, mode: str):
    """Adding c to a window's target columns adds c to every forecast step."""
    model = build(name, SPEC, instance_norm=mode, time2vec=2, **rnn_backend(name)).eval()
    x = torch.randn(B, T, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.forecast(x + 5.0), model.forecast(x) + 5.0)


@pytest.mark.parametrize("name", ["linear", "gru", "wavenet"])
def test_revin_follows_level_and_scale(name: str):
    model = build(name, SPEC, instance_norm="revin", **rnn_backend(name)).eval()
    with torch.no_grad():
        model.instance_norm.gamma.fill_(1.5)  # the learnable affine is inverted too
        model.instance_norm.beta.fill_(-0.3)
        x = torch.randn(B, T, 2)
        got, expected = model.forecast(3.0 * x - 2.0), 3.0 * model.forecast(x) - 2.0
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_inputs_that_are_not_targets_pass_through():
    spec = SeriesSpec(input_len=T, n_inputs=2, n_targets=1, n_ahead=1, target_input_index=(0,))
    model = build("linear", spec, instance_norm="last")
    x = torch.randn(B, T, 2)
    normed, (loc, scale) = model.instance_norm.normalize(x)
    torch.testing.assert_close(normed[:, :, 0], x[:, :, 0] - x[:, -1:, 0])
    torch.testing.assert_close(normed[:, :, 1], x[:, :, 1])  # the covariate is untouched
    torch.testing.assert_close(loc, x[:, -1, :1])


def test_teacher_forcing_reads_the_targets_in_the_windows_units():
    options = dict(instance_norm="last", teacher_forcing=1.0, rnn={"backend": "torch"})
    model = build("encoder_decoder", SPEC, **options).train()
    x, y = torch.randn(B, T, 2), torch.randn(B, 6)
    shifted = model.forecast(x + 5.0, None, y + 5.0)
    torch.testing.assert_close(shifted, model.forecast(x, None, y) + 5.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (SeriesSpec(**{**SPEC.__dict__, "target_mode": "sequence"}), r"data.target_mode=vector"),
        (SeriesSpec(input_len=T, n_inputs=2, n_targets=1, n_ahead=1), r"no target is an input"),
    ],
)
def test_refusals_name_the_fix(spec: SeriesSpec, message: str):
    with pytest.raises(ValueError, match=message):
        build("linear" if spec.target_mode == "vector" else "wavenet", spec, instance_norm="last")
    with pytest.raises(ValueError, match=r"instance_norm must be null or one of"):
        build("linear", SPEC, instance_norm="median")


def test_a_level_shift_after_training_is_followed(trainer_kwargs):
    """Trained on a sine around 0, tested on the same sine around 10: NLinear's subtraction of
    the last value keeps the error small, the plain linear model keeps the old level."""
    train = sine(200)
    x, y = windows(train, 12, 1)
    dm = WindowDataModule(x, y, make_spec(train, 12, 1), batch_size=32)
    errors = {}
    for mode in (None, "last"):
        torch.manual_seed(0)
        model = build("linear", dm.spec, instance_norm=mode, optimizer={"lr": 0.05})
        L.Trainer(max_epochs=30, **trainer_kwargs).fit(model, datamodule=dm)
        with torch.no_grad():
            errors[mode] = (model.eval().forecast(x + 10.0) - (y + 10.0)).abs().mean().item()
    assert errors["last"] < 0.1 < 1.0 < errors[None]


def test_quantile_forecasts_follow_the_level_at_every_level():
    spec = SeriesSpec(input_len=T, n_inputs=1, n_targets=1, n_ahead=2, target_input_index=(0,))
    options = dict(loss="quantile", quantiles=[0.1, 0.5, 0.9], rnn={"backend": "torch"})
    model = build("gru", spec, instance_norm="last", **options).eval()
    x = torch.randn(B, T, 1)
    with torch.no_grad():
        shifted, base = model.quantile_forecast(x + 3.0), model.quantile_forecast(x)  # (B, 2, 3)
    torch.testing.assert_close(shifted, base + 3.0)
