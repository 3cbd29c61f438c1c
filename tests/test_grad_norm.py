"""GradNormLogger: train/grad_norm is the pre-clipping gradient norm torch itself computes."""

import math
from pathlib import Path

import lightning as L
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset

from gatework.training.grad_norm import GradNormLogger, total_grad_norm
from gatework.training.plots import plot_learning_curves

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


class TinyRegression(L.LightningModule):
    """y = w·x + b on random data: enough parameters for a gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


class TorchNorms(L.Callback):
    """Records torch's own total norm of the gradients at the same hook (before clipping)."""

    def __init__(self) -> None:
        self.norms: list[float] = []

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        grads = [p.grad for p in pl_module.parameters()]
        self.norms.append(float(torch.nn.utils.get_total_norm(grads)))


def loader(n: int = 40) -> DataLoader:
    x = torch.randn(n, 3)
    return DataLoader(TensorDataset(x, 5 * x.sum(1, keepdim=True) + 3), batch_size=8)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_total_grad_norm_is_clip_grad_norms_value(norm_type):
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    model(torch.randn(7, 4)).pow(2).sum().backward()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    ours = total_grad_norm(optimizer, norm_type)
    grads = [p.grad.clone() for p in model.parameters()]
    assert ours.item() == pytest.approx(torch.nn.utils.get_total_norm(grads, norm_type).item())
    # clip_grad_norm_ returns the norm before it clips
    clipped = torch.nn.utils.clip_grad_norm_(model.parameters(), 1e-3, norm_type)
    assert ours.item() == pytest.approx(clipped.item())
    assert ours.item() > 1e-3


def test_no_gradients_give_no_norm():
    layer = torch.nn.Linear(2, 2)
    assert total_grad_norm(torch.optim.SGD(layer.parameters(), lr=0.1)) is None


def fit_tiny(tmp_path, logger_callback: GradNormLogger, **trainer_options) -> list[float]:
    """Fit TinyRegression with ``logger_callback`` and a CSV log in tmp_path; returns torch's
    own norms of every step, taken at the same hook."""
    torch.manual_seed(0)
    reference = TorchNorms()
    trainer = L.Trainer(
        accelerator="cpu",
        log_every_n_steps=1,
        callbacks=[logger_callback, reference],
        logger=CSVLogger(tmp_path, name="", version=""),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **trainer_options,
    )
    trainer.fit(TinyRegression(), train_dataloaders=loader())
    return reference.norms


def test_logged_per_step_is_the_norm_before_clipping(tmp_path):
    norms = fit_tiny(tmp_path, GradNormLogger(per_step=True), max_epochs=2, gradient_clip_val=1e-3)
    logged = pd.read_csv(tmp_path / "metrics.csv")["train/grad_norm"].dropna().to_numpy()
    assert len(logged) == len(norms) == 10  # 5 steps per epoch, 2 epochs
    assert logged == pytest.approx(norms, rel=1e-6)
    assert (logged > 1e-3).all() and all(math.isfinite(v) for v in logged)  # clipping came after


def test_logged_per_epoch_is_the_mean_over_steps(tmp_path):
    norms = fit_tiny(tmp_path, GradNormLogger(), max_epochs=3)
    log = pd.read_csv(tmp_path / "metrics.csv").dropna(subset=["train/grad_norm"])
    per_epoch = torch.tensor(norms).view(3, 5).mean(1)
    assert log["train/grad_norm"].to_numpy() == pytest.approx(per_epoch.numpy(), rel=1e-6)
    assert plot_learning_curves(tmp_path / "metrics.csv", tmp_path / "curves.png")  # its panel


def test_default_callbacks_log_the_grad_norm():
    with initialize_config_dir(str(CONFIGS), version_base="1.3"):
        cfg = compose("train", overrides=["paths.output_dir=unused"])
    callback = instantiate(cfg.callbacks.grad_norm)
    assert isinstance(callback, GradNormLogger) and not callback.per_step
