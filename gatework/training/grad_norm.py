"""GradNormLogger: the gradient norm of every optimiser step, before clipping, in the log."""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor


def total_grad_norm(optimizer: torch.optim.Optimizer, norm_type: float = 2.0) -> Tensor | None:
    """The norm of all gradients the optimiser will apply, as one vector.

    The same number ``torch.nn.utils.clip_grad_norm_`` returns (and Lightning's
    ``gradient_clip_val`` compares with the threshold): the ``norm_type``-norm of the per-tensor
    norms. Non-finite gradients give ``inf`` or ``nan``, not an error.

    Args:
        optimizer: its parameter groups say which gradients count.
        norm_type: p of the p-norm (2.0: Euclidean; ``float("inf")``: largest entry).

    Returns:
        A 0-d tensor, or None when no parameter has a gradient.
    """
    grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
    if not grads:
        return None
    norms = torch.stack([torch.linalg.vector_norm(g.detach(), norm_type) for g in grads])
    return torch.linalg.vector_norm(norms, norm_type)


class GradNormLogger(L.Callback):
    """Logs ``train/grad_norm``: the total gradient norm of each step, before clipping.

    Runs in ``on_before_optimizer_step``, which Lightning calls after the backward pass (and
    after unscaling in mixed precision) and before ``gradient_clip_val`` clips, so the value
    is what the loss asked for, not what clipping let through. A learning curve of it shows
    exploding gradients (spikes, then ``inf``/``nan``) and vanishing ones (a fall towards 0)
    whether or not clipping is on; with clipping, the steps above ``gradient_clip_val`` are
    those it shortened.

    Args:
        norm_type: p of the p-norm (2.0, as ``gradient_clip_val`` uses by default).
        per_step: False (default): one value per epoch, the mean over its optimiser steps, like
            ``train/loss``; True: one value per step (``trainer.log_every_n_steps`` applies).
    """

    def __init__(self, norm_type: float = 2.0, per_step: bool = False) -> None:
        super().__init__()
        self.norm_type = float(norm_type)
        self.per_step = per_step

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        norm = total_grad_norm(optimizer, self.norm_type)
        if norm is None:
            return
        pl_module.log(
            "train/grad_norm",
            norm,
            on_step=self.per_step,
            on_epoch=not self.per_step,
            batch_size=1,  # the epoch value is the plain mean over steps
            sync_dist=True,  # under DDP every process holds the same all-reduced gradients
        )
