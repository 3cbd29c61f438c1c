"""Building the run's Trainer, and scoring a model on the validation and test splits with it."""

from __future__ import annotations

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from gatework.training.atomic import AtomicCheckpointIO
from gatework.training.console import progress_bar
from gatework.training.divergence import DivergenceGuard
from gatework.training.report import to_floats


def build_trainer(cfg: DictConfig, *extra: L.Callback) -> L.Trainer:
    """The Trainer of ``cfg.trainer``, the config's callbacks and loggers, ``extra`` callbacks;
    the divergence guard (a non-finite loss or gradient stops the run), checkpoints written
    atomically, a progress bar on a terminal (``enable_progress_bar: null``)."""
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values()]
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values()]
    return instantiate(
        cfg.trainer,
        callbacks=[*callbacks, DivergenceGuard(), *extra],
        logger=loggers or False,
        plugins=[AtomicCheckpointIO()],
        enable_progress_bar=progress_bar(cfg.trainer.get("enable_progress_bar")),
    )


def build_model(cfg: DictConfig, spec) -> L.LightningModule:
    """The model of ``cfg.model`` for the data's ``SeriesSpec``, with ``cfg.scheduler``'s
    learning-rate schedule when the run has one (``configs/scheduler/``).

    ``_partial_`` hands over the spec itself: passed to instantiate, it would be merged into the
    config and arrive as a DictConfig. Bad model/data combinations raise here.
    """
    schedule = instantiate(cfg.scheduler) if cfg.get("scheduler") else None
    return instantiate(cfg.model, _partial_=True)(spec=spec, scheduler=schedule)


def evaluate(
    trainer: L.Trainer,
    model: L.LightningModule,
    datamodule: L.LightningDataModule,
    ckpt_path: str | None = None,
) -> dict[str, float]:
    """Validation and test metrics of ``model``.

    Args:
        trainer: the Trainer running the loops.
        model: the model to score.
        datamodule: the data, with the same windows for every model.
        ckpt_path: ``"best"`` restores the best checkpoint of ``trainer.fit`` first; None scores
            the weights as they are.

    Returns:
        Everything the model logs in its validation and test loops (``val/mae``, ``test/mae``, ...).
    """
    metrics = {}
    for run in (trainer.validate, trainer.test):
        metrics.update(run(model, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False)[0])
    return to_floats(metrics)


def quiet_trainer(trainer_cfg: DictConfig) -> L.Trainer:
    """A Trainer for extra evaluations (baselines): same devices, strategy, nodes and batch
    limits (``fast_dev_run`` included), so that a baseline is scored on the model's windows; no
    logger, no checkpoints, no progress bar, so the run's log and checkpoint stay the model's own.

    Args:
        trainer_cfg: the run's ``cfg.trainer``.
    """
    return L.Trainer(
        accelerator=trainer_cfg.accelerator,
        devices=trainer_cfg.devices,
        strategy=trainer_cfg.get("strategy", "auto"),  # under DDP: the same processes
        num_nodes=trainer_cfg.get("num_nodes", 1),
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=trainer_cfg.get("limit_val_batches"),
        limit_test_batches=trainer_cfg.get("limit_test_batches"),
        fast_dev_run=trainer_cfg.get("fast_dev_run", False),
    )
