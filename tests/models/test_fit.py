"""Every model config fits and evaluates under Lightning; logged keys; checkpoints reload."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from models_testkit import CONFIG_NAMES, WindowDataModule, build, make_spec, sine, windows

from gatework.datamodules.spec import SeriesSpec

INPUT_LEN, N_AHEAD = 12, 2


def datamodule(mode: str) -> WindowDataModule:
    series = torch.cat([sine(60), 0.5 * sine(60, period=7.0)], dim=1)  # (60, 2)
    x, y = windows(series, INPUT_LEN, N_AHEAD, mode=mode)
    spec = make_spec(series, INPUT_LEN, N_AHEAD, target_mode=mode, target_mean=(5.0, 5.0))
    return WindowDataModule(x, y, spec, batch_size=16)


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_fast_dev_run_every_config(name: str, trainer_kwargs):
    dm = datamodule("sequence" if name == "seq2seq" else "vector")
    model = build(name, dm.spec)
    trainer = L.Trainer(fast_dev_run=True, **trainer_kwargs)
    if model.trainable:
        trainer.fit(model, datamodule=dm)
        assert "train/loss" in trainer.callback_metrics
    metrics = trainer.test(model, datamodule=dm, verbose=False)[0]
    keys = ("loss", "mae", "mse", "rmse", "smape", "mape", "mape_crosses_zero", "mae_h1", "mae_h2")
    keys += ("mae_scaled", "mse_scaled", "mae/0", "mse/0", "mae/1", "mse/1")  # 2 unnamed targets
    expected = {f"test/{k}" for k in keys}
    assert set(metrics) == expected
    assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values())


def test_one_step_models_log_no_per_horizon_keys(trainer_kwargs):
    series = sine(40)
    x, y = windows(series, 8, 1)
    dm = WindowDataModule(x, y, make_spec(series, 8, 1))
    metrics = L.Trainer(**trainer_kwargs).validate(build("linear", dm.spec), dm, verbose=False)[0]
    keys = ("loss", "mae", "mse", "rmse", "smape", "mape", "mape_crosses_zero")
    keys += ("mae_scaled", "mse_scaled")
    assert set(metrics) == {f"val/{k}" for k in keys}  # one target: no per-target keys


@pytest.mark.parametrize(
    "optimizer",
    [
        {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.01, "momentum": 0.9},
        {"_target_": "torch.optim.RMSprop", "_partial_": True, "lr": 0.001},
    ],
)
def test_optimizer_comes_from_the_config(optimizer: dict):
    model = build("linear", datamodule("vector").spec, optimizer=optimizer)
    opt = model.configure_optimizers()
    assert type(opt).__name__ == optimizer["_target_"].rsplit(".", 1)[1]
    assert opt.defaults["lr"] == optimizer["lr"]


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_losses_on_scaled_values(loss: str):
    model = build("naive", datamodule("vector").spec, loss=loss)
    pred, y = torch.zeros(1, 2), torch.tensor([[0.5, -3.0]])
    expected = {"mse": (0.25 + 9) / 2, "mae": 3.5 / 2, "huber": (0.125 + 2.5) / 2}[loss]
    assert model.loss_fn(pred, y).item() == pytest.approx(expected)


def test_best_checkpoint_restores_with_weights_only_loading(trainer_kwargs, tmp_path):
    dm = datamodule("vector")
    model = build("dense", dm.spec, hidden_sizes=[8], time2vec=2)
    ckpt = ModelCheckpoint(dirpath=tmp_path, monitor="val/mae")  # as configs/callbacks
    kwargs = {**trainer_kwargs, "enable_checkpointing": True}
    trainer = L.Trainer(max_epochs=2, limit_train_batches=2, callbacks=[ckpt], **kwargs)
    trainer.fit(model, datamodule=dm)
    best = trainer.test(model, datamodule=dm, ckpt_path="best", verbose=False)[0]  # torch.load
    reloaded = type(model).load_from_checkpoint(ckpt.best_model_path)  # weights_only default
    assert reloaded.hparams["hidden_sizes"] == [8] and reloaded.spec == dm.spec
    again = L.Trainer(**trainer_kwargs).test(reloaded, datamodule=dm, verbose=False)[0]
    assert again["test/mae"] == pytest.approx(best["test/mae"])


NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, NO_CUDA])])
def test_every_config_runs_on_the_device(device: str):
    dm = datamodule("vector")
    x, y = (t.to(device) for t in dm.dataset[:8])
    for name in CONFIG_NAMES:
        spec = datamodule("sequence").spec if name == "seq2seq" else dm.spec
        model = build(name, spec, time2vec=2).to(device).eval()
        pred = model.to_original(model.last_step(model.forecast(x)))  # (8, K*J)
        assert pred.device.type == device and pred.shape == y.shape
        model.metrics["val"].update(pred, y)
        assert model.metrics["val"].compute()["mae"].device.type == device


@pytest.mark.parametrize("name", ["encoder_decoder", "naive"])
def test_batches_with_known_future_covariates(name: str, trainer_kwargs):
    dm = datamodule("vector")
    x, y = dm.dataset.tensors
    spec = SeriesSpec(**{**dm.spec.__dict__, "n_future": 3})
    x_future = torch.randn(len(x), N_AHEAD, 3)  # (W, K, P), e.g. one-hot day types
    dm = WindowDataModule(x, y, spec, x_future=x_future)
    model = build(name, spec)
    trainer = L.Trainer(fast_dev_run=True, **trainer_kwargs)
    if model.trainable:
        trainer.fit(model, datamodule=dm)
    assert "test/mae_h2" in trainer.test(model, datamodule=dm, verbose=False)[0]


def test_recurrent_options_and_instance_norm_survive_a_checkpoint(trainer_kwargs, tmp_path):
    from gatework.models import Recurrent, RecurrentOptions

    dm = datamodule("vector")
    options = RecurrentOptions(cell="lstm", hidden_size=[6, 4], backend="torch", init="keras")
    model = Recurrent(dm.spec, rnn=options, instance_norm="revin")
    assert model.hparams["rnn"]["hidden_size"] == [6, 4]  # plain values: weights_only loading
    ckpt = ModelCheckpoint(dirpath=tmp_path, monitor="val/mae")
    kwargs = {**trainer_kwargs, "enable_checkpointing": True}
    L.Trainer(max_epochs=1, limit_train_batches=2, callbacks=[ckpt], **kwargs).fit(model, dm)
    reloaded = Recurrent.load_from_checkpoint(ckpt.best_model_path).eval()
    x = dm.dataset.tensors[0][:4]
    with torch.no_grad():
        torch.testing.assert_close(reloaded.forecast(x), model.eval().forecast(x))
    assert reloaded.instance_norm.mode == "revin"
