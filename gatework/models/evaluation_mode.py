"""A module in evaluation mode (dropout off, norms frozen) for a while, then back to its mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def evaluation_mode(module: nn.Module) -> Iterator[nn.Module]:
    """``with evaluation_mode(model): ...`` runs the block with ``model.eval()`` and restores the
    mode the module had (training or not) afterwards, also when the block raises."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)
