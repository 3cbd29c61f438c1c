"""Learning-rate schedules for ``configs/scheduler/``: each returns Lightning's scheduler dict.

A config names one of these functions with ``_partial_: true`` and its options; the model
calls it with its optimiser and the Trainer (``ForecastModule.configure_optimizers``), so a
schedule may size itself from the run (``max_epochs``, the number of optimiser steps)::

    python train.py scheduler=cosine                  # cosine decay over trainer.max_epochs
    python train.py scheduler=step scheduler.step_size=5 scheduler.gamma=0.5   # halve every 5
    python train.py scheduler=plateau                 # halve when val/mae stalls
    python train.py scheduler=one_cycle scheduler.max_lr=0.01
"""

from __future__ import annotations

import lightning as L
from torch.optim import Optimizer, lr_scheduler


def step(optimizer: Optimizer, trainer: L.Trainer, step_size: int = 10, gamma: float = 0.5):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (0.5: halving)."""
    return {"scheduler": lr_scheduler.StepLR(optimizer, step_size, gamma), "interval": "epoch"}


def cosine(optimizer: Optimizer, trainer: L.Trainer, min_lr: float = 0.0):
    """Cosine decay from the optimiser's learning rate to ``min_lr`` over ``max_epochs``."""
    epochs = max(int(trainer.max_epochs or 1), 1)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=min_lr)
    return {"scheduler": scheduler, "interval": "epoch"}


def plateau(
    optimizer: Optimizer,
    trainer: L.Trainer,
    monitor: str = "val/mae",
    factor: float = 0.5,
    patience: int = 3,
    min_lr: float = 0.0,
):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without a better
    ``monitor`` (lower is better)."""
    scheduler = lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=factor, patience=patience, min_lr=min_lr
    )
    return {"scheduler": scheduler, "interval": "epoch", "monitor": monitor}


def one_cycle(optimizer: Optimizer, trainer: L.Trainer, max_lr: float = 0.01, pct_start=0.3):
    """Smith's one-cycle policy over every optimiser step of the run: up to ``max_lr`` over the
    first ``pct_start`` of them, then down (per batch, not per epoch)."""
    total = int(trainer.estimated_stepping_batches)
    scheduler = lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total, pct_start=pct_start
    )
    return {"scheduler": scheduler, "interval": "step"}
