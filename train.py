"""Train one forecasting model, compare it with the naive baseline: ``python train.py model=gru``.

Every option is a Hydra override (see ``configs/train.yaml``); each run writes ``metrics.json``,
the best and last checkpoints, the CSV log and PNG plots into a run folder of its own;
``ckpt_path=<run folder>`` resumes a run.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gatework.models import IterativeForecaster
from gatework.training.atomic import atomic_write_json
from gatework.training.backtest import Backtest
from gatework.training.checkpoint_record import RunRecord
from gatework.training.console import quiet_known_warnings
from gatework.training.divergence import reported_overflow
from gatework.training.evaluation import build_model, build_trainer, evaluate, quiet_trainer
from gatework.training.forecasts import collect_forecasts
from gatework.training.intervals import interval_report
from gatework.training.plots import plot_forecasts, plot_learning_curves
from gatework.training.report import comparison_table, tag_metrics, to_floats, write_metrics
from gatework.training.resume import kept_log, resume_arguments, start_run

log = logging.getLogger(__name__)


def model_label(cfg: DictConfig) -> str:
    """The model's config name (``gru``) under Hydra, else its class name."""
    if HydraConfig.initialized():
        return str(HydraConfig.get().runtime.choices.get("model"))
    return cfg.model._target_.rsplit(".", 1)[-1]


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit ``cfg.model`` on ``cfg.data``, evaluate it beside the naive baseline, write the outputs.

    Args:
        cfg: the composed ``configs/train.yaml`` (``paths.output_dir`` must resolve: Hydra sets
            it, tests pass it as an override).

    Returns:
        The metrics written to ``metrics.json``: ``val/mae``, ``test/mae``, ... of the model,
        ``val/naive_mae``, ``test/naive_mae``, ... of the baseline on the same windows, and
        ``test/iterative_*`` when ``eval.iterative`` is set; all in original units.
    """
    run = start_run(cfg)  # max_epochs, ckpt_path and the run folder checked before any write
    out_dir = run.out_dir
    quiet_known_warnings()
    L.seed_everything(cfg.seed, workers=True)

    dm = instantiate(cfg.data)
    dm.prepare_data()
    dm.setup("fit")
    log.info("Data:\n%s", dm.describe())
    run.check_data(dm)  # a resumed run trains on the data its checkpoint was trained on
    atomic_write_json(out_dir / "scaler.json", dm.scaler.state_dict())
    model = build_model(cfg, dm.spec)  # with cfg.scheduler; bad model/data combinations raise here
    baseline = None
    if None in dm.spec.target_input_index:
        log.warning("No naive baseline: a target is not an input column (%s)", dm.spec.input_names)
    else:
        baseline = instantiate(cfg.baseline, _partial_=True)(spec=dm.spec)

    # eval.iterative: the model fed its own forecasts for eval.n_ahead steps. Built before
    # training, so that a model it cannot roll forward fails early; it wraps the same model.
    iterative = None
    if cfg.eval.iterative:
        dm_k = instantiate(cfg.data, n_ahead=cfg.eval.n_ahead)
        dm_k.prepare_data()
        dm_k.setup("test")
        iterative = IterativeForecaster(model, dm_k.spec)
    backtest = Backtest(cfg, dm) if cfg.eval.backtest.folds else None  # bad folds fail here

    trainer = build_trainer(cfg, RunRecord.of_run(cfg, dm))
    run.skip_finished_training(trainer)  # killed after its last epoch: evaluate, train nothing
    start, ckpt_path = time.perf_counter(), None
    if model.trainable:
        with reported_overflow(trainer), kept_log(trainer, run.epoch):
            trainer.fit(model, datamodule=dm, ckpt_path=run.checkpoint)
        if trainer.checkpoint_callback is not None and trainer.checkpoint_callback.best_model_path:
            ckpt_path = "best"  # restores the best weights before evaluating
    metrics = {
        "fit/seconds": time.perf_counter() - start,
        "fit/epochs": float(trainer.current_epoch),
    }
    log_dir = trainer.log_dir  # a collective under DDP: every process asks
    if trainer.is_global_zero:  # under DDP every process runs train(); rank 0 writes
        plot_learning_curves(  # before evaluating, so that only the fit's epochs are drawn
            Path(log_dir or out_dir) / "metrics.csv", out_dir / "learning_curves.png"
        )
    metrics |= evaluate(trainer, model, dm, ckpt_path)
    quiet = quiet_trainer(cfg.trainer)
    if baseline is not None:
        metrics |= tag_metrics(evaluate(quiet, baseline, dm, None), "naive")
    conformal, interval_metrics = interval_report(
        model, baseline, dm.datasets, cfg.eval.intervals.coverage
    )
    metrics |= interval_metrics

    if iterative is not None:
        test_k = quiet.test(iterative, datamodule=dm_k, verbose=False)[0]
        metrics |= tag_metrics(to_floats(test_k), "iterative")
        if baseline is not None:
            naive_k = instantiate(cfg.baseline, _partial_=True)(spec=dm_k.spec)
            naive_test = to_floats(quiet.test(naive_k, datamodule=dm_k, verbose=False)[0])
            metrics |= tag_metrics(naive_test, "iterative_naive")

    if not trainer.is_global_zero:
        return metrics
    if conformal is not None:  # predict.py draws the same intervals around its forecasts
        atomic_write_json(out_dir / "conformal.json", conformal.state_dict())
    if backtest is not None:
        metrics |= backtest.run(model, baseline, out_dir)
    metrics = write_metrics(metrics, out_dir / "metrics.json")  # */seconds go to timings.json
    if cfg.eval.plot_windows > 0:
        windows = collect_forecasts(model, baseline, dm, cfg.eval.plot_windows, conformal=conformal)
        plot_forecasts(
            **windows,
            png_path=out_dir / "forecasts.png",
            target_name=(*dm.spec.target_names, "target")[0],
            horizon=dm.spec.horizon,
        )
    print(comparison_table(metrics, model_label(cfg)))
    log.info("Outputs in %s", out_dir)
    return metrics


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Command-line entry point; returns ``cfg.optimized_metric`` for Hydra sweepers."""
    log.info("Config:\n%s", OmegaConf.to_yaml(cfg, resolve=False))
    metrics = train(cfg)
    return metrics.get(cfg.get("optimized_metric"))


if __name__ == "__main__":
    sys.argv[1:] = resume_arguments(sys.argv[1:])  # ckpt_path=...: the run's own overrides first
    main()
