"""Rolling-origin backtests: the model refit (or re-scored) at several origins, beside the baseline.

``python train.py ... eval.backtest.folds=5`` cuts the test split into 5 consecutive blocks
(:mod:`gatework.training.folds`). For each, a datamodule split anew at that origin fits its own
scaler on its own training rows; with ``refit`` a fresh model is trained on them (best epoch by
the fold's validation MAE), without it the trained model is re-scored. Every block is scored in
large batches (one forward pass per 1,024 windows, no loop over windows), the model and the
baseline alike, with conformal intervals calibrated on the fold's validation rows. The run
writes ``backtest.csv`` (one row per fold, every metric), ``backtest.png`` (error per fold) and
puts ``backtest/<metric>/fold<i>``, ``.../mean`` and ``.../sd`` into ``metrics.json``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import lightning as L
import pandas as pd
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gatework.datamodules.base import SeriesDataModule
from gatework.models import ForecastModule
from gatework.models.metrics import ForecastMetrics
from gatework.training.atomic import atomic_write_text
from gatework.training.divergence import reported_overflow
from gatework.training.evaluation import build_model, build_trainer
from gatework.training.folds import BacktestPlan, fold_audit, plan_folds
from gatework.training.forecasts import split_forecasts
from gatework.training.intervals import ConformalIntervals
from gatework.training.leaderboard import to_markdown
from gatework.training.plots import plot_backtest
from gatework.training.report import tag_metrics, to_floats

log = logging.getLogger(__name__)

# the metrics of each fold that metrics.json keeps (backtest.csv keeps them all)
SUMMARY = ("mae", "rmse", "mase", "smape", "pinball", "coverage", "width")
SUMMARY += ("conformal_coverage", "conformal_width", "conformal_pinball")


def fold_scores(
    model: ForecastModule, dm: SeriesDataModule, coverage: float | None
) -> dict[str, float]:
    """A model's metrics on a fold's test windows, original units, in large batches.

    Args:
        model: the forecaster for this fold.
        dm: the fold's datamodule (its spec gives MASE's scale, from its training rows).
        coverage: ``eval.intervals.coverage``: conformal intervals calibrated on the fold's
            validation windows; None skips them.

    Returns:
        ``mae``, ``rmse``, ``mase``, ... as :class:`~gatework.models.metrics.ForecastMetrics`
        names them, and ``conformal_*`` with a coverage.
    """
    spec = dm.spec
    quantiles, truth = split_forecasts(model, dm.datasets["test"])
    metrics = ForecastMetrics.of_spec(spec, model.levels)  # scaled metrics by the fold's scaler
    metrics.update(model.point(quantiles), truth, quantiles)
    scores = to_floats(metrics.compute())
    if coverage:
        conformal = ConformalIntervals(coverage)
        conformal.calibrate(*split_forecasts(model, dm.datasets["val"]))
        scores |= conformal.score(quantiles, truth, model.point(quantiles))
    return scores


def summarise(table: pd.DataFrame) -> dict[str, float]:
    """``backtest/<metric>/fold<i>``, ``/mean`` and ``/sd`` (across folds) of the main metrics."""
    metrics = {}
    for tag in ("", "naive_"):
        for name in (f"{tag}{m}" for m in SUMMARY):
            if name not in table.columns:
                continue
            values = table[name].astype(float)
            for fold, value in zip(table["fold"], values, strict=True):
                metrics[f"backtest/{name}/fold{fold}"] = float(value)
            metrics[f"backtest/{name}/mean"] = float(values.mean())
            metrics[f"backtest/{name}/sd"] = float(values.std(ddof=1))  # NaN with one fold
    return metrics


class Backtest:
    """The folds of ``cfg.eval.backtest``, planned and audited before any training.

    Args:
        cfg: the run's composed config.
        dm: the run's datamodule, set up.

    Raises:
        ValueError: when the data, the trainer or the plan cannot give the folds asked for.
    """

    def __init__(self, cfg: DictConfig, dm: SeriesDataModule) -> None:
        options = cfg.eval.backtest
        self.plan = BacktestPlan(options.folds, options.window, options.refit, options.step)
        if not getattr(dm, "single_series", False):
            raise ValueError(
                f"eval.backtest moves a forecast origin along one series; {type(dm).__name__} "
                "holds independent series, one window each, so its test split already holds "
                "out whole series: use data=ridership, jena or csv"
            )
        if "ddp" in str(cfg.trainer.get("strategy", "")):
            raise ValueError(
                "eval.backtest fits one fold at a time: use trainer=cpu or trainer=gpu"
            )
        self.cfg, self.label = cfg, dm.label
        self.folds = []
        for number, ranges in enumerate(plan_folds(self.plan, dm.table.frame.index, dm.ranges), 1):
            try:
                self.folds.append(dm.resplit(ranges, lookback=True))
            except ValueError as err:
                raise ValueError(f"eval.backtest fold {number}: {err}") from err
        self.audit = fold_audit(self.plan, self.folds)
        log.info("%s", self.audit)
        for number, fold in enumerate(self.folds, start=1):
            log.debug("Backtest fold %d data:\n%s", number, fold.describe())

    def _refit(self, number: int, dm: SeriesDataModule, out_dir: Path) -> ForecastModule:
        """A fresh model trained on the fold, its best epoch restored."""
        fold_dir = out_dir / "backtest" / f"fold{number}"
        cfg = OmegaConf.merge(self.cfg, {"paths": {"output_dir": str(fold_dir)}})
        L.seed_everything(cfg.seed, workers=True)
        model = build_model(cfg, dm.spec)
        if not model.trainable:
            return model
        trainer = build_trainer(cfg)  # its divergence guard stops the run on a diverging refit
        with reported_overflow(trainer):
            trainer.fit(model, datamodule=dm)
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        if best:
            state = torch.load(best, map_location=model.device, weights_only=True)["state_dict"]
            model.load_state_dict(state)
        return model

    def run(
        self, model: ForecastModule, baseline: ForecastModule | None, out_dir: Path
    ) -> dict[str, float]:
        """Score every fold; write ``backtest.csv`` and ``backtest.png`` into ``out_dir``.

        Args:
            model: the trained model (re-scored as it is without ``refit``).
            baseline: the run's baseline, rebuilt on each fold's scaling; None for none.
            out_dir: the run folder.

        Returns:
            The summary metrics (see :func:`summarise`) and ``backtest/seconds``.
        """
        start, rows = time.perf_counter(), []
        coverage = self.cfg.eval.intervals.coverage
        for number, dm in enumerate(self.folds, start=1):
            fold_model = self._refit(number, dm, out_dir) if self.plan.refit else model
            origin, end = dm.ranges["test"]
            row = {"fold": number, "origin": self.label(origin), "last": self.label(end - 1)}
            row |= {"train_rows": len(dm.ranges["train"]), "windows": len(dm.datasets["test"])}
            row |= fold_scores(fold_model, dm, coverage)
            if baseline is not None:
                fold_baseline = instantiate(self.cfg.baseline, _partial_=True)(spec=dm.spec)
                row |= tag_metrics(fold_scores(fold_baseline, dm, coverage), "naive")
            rows.append(row)
        table = pd.DataFrame(rows)
        atomic_write_text(out_dir / "backtest.csv", table.to_csv(index=False))
        plot_backtest(table, out_dir / "backtest.png", coverage)
        metrics = summarise(table)
        metrics["backtest/seconds"] = time.perf_counter() - start
        log.info("Backtest, test metrics per fold:\n%s", fold_table(table, metrics))
        return metrics


def number(value: float) -> str:
    """28,731 for large values, 0.812 for small ones."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def fold_table(table: pd.DataFrame, metrics: dict[str, float]) -> str:
    """Markdown: per fold the model's and the baseline's MAE and MASE, then mean ± sd."""
    columns = [c for c in ("mae", "naive_mae", "mase", "naive_mase") if c in table.columns]
    columns += [c for c in ("conformal_coverage", "naive_conformal_coverage") if c in table]
    shown = table[["fold", "origin", "last", "windows"]].astype(str)
    for c in columns:
        shown[c] = table[c].map(number)
    summary = {"fold": "mean ± sd", "origin": "", "last": "", "windows": ""}
    for c in columns:
        mean, sd = metrics[f"backtest/{c}/mean"], metrics[f"backtest/{c}/sd"]
        summary[c] = f"{number(mean)} ± {number(sd)}"
    return to_markdown(pd.concat([shown, pd.DataFrame([summary])], ignore_index=True))
