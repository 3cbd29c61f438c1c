"""Output shapes of every model config, for each target mode; rejected modes name the fix."""

from __future__ import annotations

import pytest
import torch
from hydra.utils import get_class
from models_testkit import BACKENDS, CONFIG_NAMES, MODEL_CONFIGS, build
from omegaconf import OmegaConf

from gatework.datamodules.spec import SeriesSpec

B, T, F, J, K = 4, 16, 3, 2, 3
TORCH = {"backend": "torch"}  # model.rnn.backend=torch: torch.nn's layers, quicker to build
RECURRENT = {"rnn", "lstm", "gru", "seq2seq", "encoder_decoder", "cnn_lstm", "conv_gru"}


def spec_for(mode: str, **kwargs) -> SeriesSpec:
    return SeriesSpec(
        input_len=T,
        n_inputs=F,
        n_targets=J,
        n_ahead=K,
        target_mode=mode,
        target_input_index=(2, 0),
        **kwargs,
    )


def target_modes(name: str) -> tuple[str, ...]:
    return get_class(OmegaConf.load(MODEL_CONFIGS / f"{name}.yaml")._target_).target_modes


def test_every_issue_model_has_a_config():
    expected = {"naive", "seasonal_naive", "linear", "dense", "rnn", "lstm", "gru", "seq2seq"}
    expected |= {"encoder_decoder", "conv1d", "cnn_lstm", "conv_gru", "wavenet"}
    assert expected <= set(CONFIG_NAMES)


@pytest.mark.parametrize("name", CONFIG_NAMES)
@pytest.mark.parametrize("mode", ["vector", "sequence"])
def test_output_shape_or_target_mode_rejection(name: str, mode: str):
    spec = spec_for(mode)
    overrides = {"rnn": {"backend": "torch"}} if name in RECURRENT else {}
    if mode not in target_modes(name):
        with pytest.raises(ValueError, match=f"target_mode.*got '{mode}'.*set data.target_mode="):
            build(name, spec, **overrides)
        return
    model = build(name, spec, **overrides).eval()
    pred = model.forecast(torch.randn(B, T, F))
    y = torch.zeros((B, K * J) if mode == "vector" else (B, T, K * J))
    assert pred.shape == model.align_targets(y).shape  # every step, but conv_gru's strided ones
    assert torch.isfinite(pred).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(RECURRENT))
@pytest.mark.parametrize("time2vec", [0, 3])
def test_recurrent_models_on_each_backend(name: str, backend: str, time2vec: int):
    mode = "sequence" if name == "seq2seq" else "vector"
    rnn = {"backend": backend, "num_layers": 2}
    model = build(name, spec_for(mode), rnn=rnn, time2vec=time2vec)
    pred = model.eval().forecast(torch.randn(B, T, F))
    assert pred.shape[-1] == K * J and pred.shape[0] == B


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bidirectional_recurrent(cell: str):
    rnn = {"backend": "torch", "bidirectional": True, "num_layers": 2}
    model = build(cell, spec_for("vector"), rnn=rnn)
    assert model.head.in_features == 2 * 32
    assert model.forecast(torch.randn(B, T, F)).shape == (B, K * J)


def test_seq2seq_message_names_the_fix():
    with pytest.raises(ValueError, match="Seq2Seq .*set data.target_mode=sequence"):
        build("seq2seq", spec_for("vector"), rnn=TORCH)


def test_encoder_decoder_reads_known_future_covariates():
    model = build("encoder_decoder", spec_for("vector", n_future=2), rnn=TORCH).eval()
    x, x_future = torch.randn(B, T, F), torch.randn(B, K, 2)
    pred = model.forecast(x, x_future)
    assert pred.shape == (B, K * J)
    assert not torch.allclose(pred, model.forecast(x, x_future + 1.0))  # the decoder reads them
    with pytest.raises(ValueError, match="expects x_future"):
        model.forecast(x)


def test_models_that_ignore_known_future_covariates_refuse_them():
    with pytest.raises(ValueError, match=r"Recurrent does not read known-future covariates"):
        build("gru", spec_for("vector", n_future=2), rnn=TORCH)
    build("naive", spec_for("vector", n_future=2))  # baselines may ignore them: no error


def test_encoder_decoder_teacher_forcing_feeds_the_truth_in_training_only():
    spec = spec_for("vector")
    model = build("encoder_decoder", spec, rnn=TORCH, teacher_forcing=1.0)
    x, y = torch.randn(B, T, F), torch.randn(B, K * J)
    model.train()
    forced = model.forecast(x, None, y)
    # step k+1 reads the truth of step k, so changing a later truth changes nothing before it
    y2 = y.clone().view(B, K, J)
    y2[:, 1] += 1.0
    forced2 = model.forecast(x, None, y2.flatten(1)).view(B, K, J)
    torch.testing.assert_close(forced2[:, :2], forced.view(B, K, J)[:, :2])
    assert not torch.allclose(forced2[:, 2], forced.view(B, K, J)[:, 2])
    model.eval()  # autoregressive: the truth is ignored
    torch.testing.assert_close(model.forecast(x, None, y), model.forecast(x, None, y2.flatten(1)))


def test_unknown_loss_and_cell_list_the_choices():
    choices = r"\('mse', 'mae', 'huber', 'quantile'\)"
    with pytest.raises(ValueError, match=rf"model.loss must be one of {choices}"):
        build("linear", spec_for("vector"), loss="rmse")
    with pytest.raises(ValueError, match=r"model.rnn.cell must be one of \('rnn', 'lstm', 'gru'\)"):
        build("gru", spec_for("vector"), rnn={"cell": "tcn", "backend": "torch"})


def test_conv_gru_kernel_longer_than_window_fails():
    with pytest.raises(ValueError, match="kernel_size=32 exceeds data.input_len=16"):
        build("conv_gru", spec_for("vector"), kernel_size=32, rnn=TORCH)


@pytest.mark.parametrize("input_len", [16, 17])
def test_conv_gru_reads_the_last_input_step(input_len: int):
    # the strided windows end at the last step whatever (input_len - kernel_size) % stride is
    spec = SeriesSpec(input_len=input_len, n_inputs=1, n_targets=1, n_ahead=1)
    model = build("conv_gru", spec, rnn=TORCH).eval()
    x = torch.randn(2, input_len, 1)
    changed = x.clone()
    changed[:, -1] += 1.0
    with torch.no_grad():
        assert not torch.allclose(model(x), model(changed))


def test_encoder_decoder_first_step_reads_the_last_value_of_each_target_that_is_an_input():
    # target a is input column 1, target b is not an input: b starts from zero, a from x[:, -1, 1]
    spec = SeriesSpec(input_len=T, n_inputs=2, n_targets=2, n_ahead=1, target_input_index=(1, None))
    model = build("encoder_decoder", spec, rnn=TORCH).eval()
    x = torch.randn(B, T, 2)
    with torch.no_grad():
        _, state = model.encoder(x)
        first = torch.stack([x[:, -1, 1], torch.zeros(B)], dim=1)  # (B, J)
        out, _ = model.decoder(first.unsqueeze(1), state)
        torch.testing.assert_close(model.forecast(x), model.head(out[:, 0]))
