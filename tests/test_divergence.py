"""A diverging run stops at once with a message that says what to do; nothing non-finite is kept."""

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from test_train import compose_fast, train

from gatework.datamodules import SyntheticDataModule
from gatework.models import Linear
from gatework.training.divergence import DivergenceError, DivergenceGuard

NO_CLIP = "trainer.gradient_clip_val=null"


def assert_no_non_finite_checkpoint(folder):
    for ckpt in folder.rglob("*.ckpt"):
        state = torch.load(ckpt, weights_only=True)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values()), ckpt


def test_a_huge_learning_rate_stops_the_run_naming_epoch_step_and_remedies(tmp_path):
    cfg = compose_fast(tmp_path, "model=rnn", "model.optimizer.lr=1e20", NO_CLIP)
    with pytest.raises(
        DivergenceError,
        match=r"training diverged at epoch 0, step \d+: the training loss is (inf|nan)\. .*"
        r"lower the learning rate \(model\.optimizer\.lr, now 1e\+20\), clip gradients "
        r"\(trainer\.gradient_clip_val, now None\), keep the inputs scaled .* NaN or huge values",
    ):
        train(cfg)
    assert not (tmp_path / "metrics.json").exists()
    assert_no_non_finite_checkpoint(tmp_path)


def test_an_overflowing_optimizer_step_is_reported_the_same_way(tmp_path):
    cfg = compose_fast(tmp_path, "model=rnn", "model.optimizer.lr=1e38", NO_CLIP)
    with pytest.raises(DivergenceError, match=r"epoch 0, step 0: a value overflowed .*now 1e\+38"):
        train(cfg)


def test_zero_epochs_is_an_error_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"trainer.max_epochs must be >= 1, got 0"):
        train(compose_fast(tmp_path, "model=linear", "trainer.max_epochs=0"))
    assert list(tmp_path.iterdir()) == []


class PoisonSecondValidation(L.Callback):
    """Turns the weights into NaN after the second epoch's training, before its validation."""

    def on_validation_start(self, trainer, pl_module):
        if trainer.current_epoch == 1 and not trainer.sanity_checking:
            with torch.no_grad():
                for p in pl_module.parameters():
                    p.fill_(float("nan"))


def test_a_non_finite_validation_metric_stops_before_the_checkpoint_sees_it(tmp_path):
    dm = SyntheticDataModule(n_series=60, input_len=8, splits=[30, 15, 15], batch_size=16)
    dm.setup()
    checkpoint = ModelCheckpoint(
        dirpath=tmp_path, filename="best", monitor="val/mae", save_last=True
    )
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=3,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[PoisonSecondValidation(), DivergenceGuard(), checkpoint],
    )
    with pytest.raises(DivergenceError, match=r"epoch 1, step \d+: val/loss is nan on the valid"):
        trainer.fit(Linear(dm.spec), datamodule=dm)
    for name in ("best.ckpt", "last.ckpt"):  # both from epoch 0: epoch 1 was never saved
        assert torch.load(tmp_path / name, weights_only=True)["epoch"] == 0
    assert_no_non_finite_checkpoint(tmp_path)


def test_the_guard_checks_validation_metrics(tmp_path):
    class Trainer:  # what the guard reads of a Trainer
        sanity_checking = False
        current_epoch, global_step = 2, 40
        optimizers, gradient_clip_val = [], 1.0
        callback_metrics = {"val/loss": torch.tensor(0.5), "val/mae": torch.tensor(float("inf"))}

    with pytest.raises(
        DivergenceError, match=r"epoch 2, step 40: val/mae is inf on the validation"
    ):
        DivergenceGuard().on_validation_end(Trainer(), None)
    Trainer.sanity_checking = True  # the sanity check runs an untrained model: not checked
    DivergenceGuard().on_validation_end(Trainer(), None)


def test_a_non_finite_gradient_under_a_finite_loss_is_named():
    """The guard called as Lightning calls it: the loss before backward, then the gradients."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = type("T", (), {"current_epoch": 2, "global_step": 7, "optimizers": [optimizer]})()
    trainer.gradient_clip_val = None
    guard = DivergenceGuard()
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    guard.on_before_backward(trainer, model, torch.tensor(0.5))
    guard.on_before_optimizer_step(trainer, model, optimizer)  # all finite: nothing happens
    model[1].weight.grad[0, 1] = torch.nan
    guard.on_before_backward(trainer, model, torch.tensor(0.5))
    with pytest.raises(
        DivergenceError, match=r"epoch 2, step 7: the gradient of 1\.weight holds nan"
    ):
        guard.on_before_optimizer_step(trainer, model, optimizer)
    guard.on_before_backward(trainer, model, torch.tensor(float("inf")))  # the loss comes first
    with pytest.raises(DivergenceError, match=r"step 7: the training loss is inf\. "):
        guard.on_before_optimizer_step(trainer, model, optimizer)
