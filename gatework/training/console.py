"""What a run prints: no known-false warnings, progress bars only on a terminal.

Lightning prints, on every run, lines that do not apply here:

* a tip advertising its cloud logging and model registry;
* under DDP, "It is recommended to use ``self.log('val/mae', ..., sync_dist=True)``" for each
  metric a torchmetrics object computes: those states are already reduced across processes by
  torchmetrics itself (``dist_reduce_fx``), and the loss, logged as a plain tensor, does pass
  ``sync_dist=True``;
* with torch >= 2.10, a DeprecationWarning from Lightning's own use of ``torch.utils._pytree``;
* on a resumed run, that the log and checkpoint folders "exist and are not empty" and that the
  previous log "will be deleted": a run folder belongs to one run only
  (:mod:`~gatework.training.run_dir`), so a full one is that run's, being resumed, and
  :func:`~gatework.training.resume.kept_log` keeps the log.

They are filtered by their exact text, so any other warning still shows.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

TIP_PREFIX = "💡 Tip:"
SYNC_DIST_HINT = r"It is recommended to use `self\.log\('(val|test)/[^']*', \.\.\., sync_dist="


class _DropLightningTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(TIP_PREFIX)


def quiet_known_warnings() -> None:
    """Install the filters (idempotent)."""
    warnings.filterwarnings("ignore", message=SYNC_DIST_HINT)
    warnings.filterwarnings(
        "ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated", module="lightning"
    )
    for folder in ("Experiment logs directory", "Checkpoint directory"):
        warnings.filterwarnings("ignore", message=rf"{folder} .* exists and is not empty")
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropLightningTips) for f in logger.filters):
            logger.addFilter(_DropLightningTips())


def progress_bar(setting: bool | None) -> bool:
    """``trainer.enable_progress_bar``: true/false as set; null means "when stdout is a
    terminal", so that logs and files redirected from a run hold no bar redrawn a thousand times
    (Lightning draws its bars on stdout)."""
    if setting is None:
        return sys.stdout.isatty()
    return bool(setting)


@contextmanager
def log_level(name: str, level: int) -> Iterator[None]:
    """The logger ``name`` at ``level`` for a block, then at its own level again (e.g. Lightning's
    banners silenced for several short fits)."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)
