"""Stop a diverging run at once, loudly, instead of training NaN and reporting it as success.

:class:`DivergenceGuard` checks every training step's loss and gradients and every epoch's
validation loss and MAE; the first non-finite value stops the run with a
:class:`DivergenceError` that names the epoch, the step and the usual remedies. It raises before
the optimiser step and before the checkpoint callback sees the epoch, so neither the weights on
disk nor the best checkpoint ever hold a non-finite model. :func:`reported_overflow` turns the
optimiser's own overflow error (a learning rate past float32's range) into the same message.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from omegaconf import DictConfig

from gatework.training.grad_norm import total_grad_norm

CHECKED_VAL_METRICS = ("val/loss", "val/mae")


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss, gradient or metric."""


def remedies(trainer: L.Trainer) -> str:
    """The usual fixes, with the values this run used."""
    lr = None
    if trainer.optimizers:
        lr = trainer.optimizers[0].param_groups[0].get("lr")
    return (
        f"lower the learning rate (model.optimizer.lr, now {lr:g}), "
        if isinstance(lr, float)
        else "lower the learning rate (model.optimizer.lr), "
    ) + (
        f"clip gradients (trainer.gradient_clip_val, now {trainer.gradient_clip_val}), keep "
        "the inputs scaled (data.scale=true), and check the data for NaN or huge values"
    )


def diverged(trainer: L.Trainer, what: str) -> DivergenceError:
    """The error for a run whose ``what`` (e.g. "the loss is nan") went non-finite now."""
    return DivergenceError(
        f"training diverged at epoch {trainer.current_epoch}, step {trainer.global_step}: "
        f"{what}. Nothing from this step on was saved. To fix it: {remedies(trainer)}"
    )


class DivergenceGuard(Callback):
    """Raise :class:`DivergenceError` at the first non-finite loss, gradient or validation metric.

    The loss is checked before backward and reported before the optimiser step, after the
    gradients are reduced across processes, so that under DDP every process stops together.
    """

    def __init__(self) -> None:
        self._losses: list[torch.Tensor] = []  # since the last optimiser step (accumulation)

    def on_before_backward(
        self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor
    ) -> None:
        self._losses.append(loss.detach().float().mean())  # kept on the device: no sync here

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        losses, self._losses = self._losses, []
        values = [*losses, total_grad_norm(optimizer, math.inf)]  # the largest |gradient|
        values = torch.stack([v for v in values if v is not None])
        if bool(torch.isfinite(values).all()):  # the one wait for the device per step
            return
        for loss in losses:  # what went wrong first: the loss, then a gradient
            if not torch.isfinite(loss):
                raise diverged(trainer, f"the training loss is {float(loss)}")
        for name, param in pl_module.named_parameters():
            if param.grad is not None and not torch.isfinite(param.grad).all():
                peak = param.grad.detach().abs().amax().float()  # NaN stays NaN
                raise diverged(trainer, f"the gradient of {name} holds {peak:g}")

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        for name in CHECKED_VAL_METRICS:
            value = trainer.callback_metrics.get(name)
            if value is not None and not math.isfinite(float(value)):
                raise diverged(trainer, f"{name} is {float(value)} on the validation split")


@contextmanager
def reported_overflow(trainer: L.Trainer) -> Iterator[None]:
    """Re-raise torch's float overflow inside ``trainer.fit`` as a :class:`DivergenceError`."""
    try:
        yield
    except RuntimeError as err:
        if isinstance(err, DivergenceError) or "overflow" not in str(err):
            raise
        raise diverged(trainer, f"a value overflowed ({err})") from err


def check_epochs(trainer_cfg: DictConfig) -> None:
    """Refuse ``trainer.max_epochs`` < 1: it would evaluate an untrained model as if trained."""
    max_epochs = trainer_cfg.get("max_epochs")
    if max_epochs is not None and max_epochs < 1 and not trainer_cfg.get("fast_dev_run"):
        raise ValueError(
            f"trainer.max_epochs must be >= 1, got {max_epochs}: with no epoch the model would "
            "be evaluated untrained; to score a model without training it use model=naive "
            "(or model=seasonal_naive)"
        )
