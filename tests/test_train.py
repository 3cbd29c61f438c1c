"""train(cfg) end to end on small synthetic data: outputs, baseline, checkpoints, failures."""

import importlib.util
import json
import logging
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig

REPO = Path(__file__).resolve().parents[1]
# train.py is a script at the repository root, not part of the package: load it by path.
_spec = importlib.util.spec_from_file_location("train", REPO / "train.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
train = _module.train
MODELS = sorted(p.stem for p in (REPO / "configs" / "model").glob("*.yaml"))
MODEL_KEYS = (
    "val/loss",
    "val/mae",
    "val/mse",
    "val/rmse",
    "val/mape",
    "test/loss",
    "test/mae",
    "test/mse",
    "test/rmse",
    "test/mape",
)
# CPU, one epoch, few batches, small synthetic data: each run takes about a second.
FAST = (
    "trainer=cpu",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=1",
    "+trainer.enable_model_summary=false",
    "+trainer.limit_train_batches=3",
    "eval.plot_windows=2",
)
SMALL_SYNTHETIC = (
    "data.n_series=120",
    "data.splits=[60,30,30]",
    "data.input_len=24",
    "data.batch_size=16",
    "data.num_workers=0",
)


def compose_fast(tmp_path: Path, *overrides: str, data: tuple = SMALL_SYNTHETIC) -> DictConfig:
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        return compose(
            "train", overrides=[*FAST, *data, f"paths.output_dir={tmp_path}", *overrides]
        )


def model_overrides(model: str) -> list[str]:
    """What a model needs beyond its name on the small synthetic data."""
    if model == "seq2seq":
        return ["experiment=seq2seq", "data.n_ahead=3"]
    return [f"model={model}"]


@pytest.mark.parametrize("model", MODELS)
def test_fast_dev_run_every_model(tmp_path, model):
    cfg = compose_fast(tmp_path, *model_overrides(model), "+trainer.fast_dev_run=true")
    metrics = train(cfg)
    assert math.isfinite(metrics["test/mae"]) and math.isfinite(metrics["test/naive_mae"])


def test_train_writes_metrics_checkpoint_log_and_plots(tmp_path):
    metrics = train(compose_fast(tmp_path, "model=gru", "trainer.max_epochs=2"))
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written == pytest.approx(metrics)
    for key in MODEL_KEYS + ("val/naive_mae", "test/naive_mae", "test/naive_rmse", "fit/epochs"):
        assert math.isfinite(written[key]), key
    assert written["fit/epochs"] == 2
    assert (tmp_path / "checkpoints" / "best.ckpt").exists()
    assert (tmp_path / "csv" / "metrics.csv").exists()
    assert json.loads((tmp_path / "scaler.json").read_text())["columns"] == ["x"]
    for png in ("learning_curves.png", "forecasts.png"):
        assert (tmp_path / png).read_bytes().startswith(b"\x89PNG"), png


def test_evaluation_uses_the_best_epoch(tmp_path):
    metrics = train(
        compose_fast(tmp_path, "model=linear", "trainer.max_epochs=3", "model.optimizer.lr=0.3")
    )  # a large step: val/mae jumps about
    log = pd.read_csv(tmp_path / "csv" / "metrics.csv").dropna(subset=["val/mae"])
    per_epoch = log[log["epoch"] < 3].groupby("epoch")["val/mae"].first()  # the fit's epochs
    assert len(per_epoch) == 3
    assert per_epoch.iloc[-1] > per_epoch.min()  # the last epoch is not the best one here
    assert metrics["val/mae"] == pytest.approx(per_epoch.min(), rel=1e-5)


def test_naive_baseline_matches_a_hand_computed_value(tmp_path):
    cfg = compose_fast(tmp_path, "model=naive")  # every test window (no fast_dev_run)
    metrics = train(cfg)
    dm = instantiate(cfg.data)
    dm.setup("test")
    x, y = zip(*(batch[:2] for batch in dm.test_dataloader()), strict=True)
    x, y = torch.cat(x), torch.cat(y)  # (N, T, 1), (N, 1), unscaled synthetic values
    mean, std = dm.spec.target_mean[0], dm.spec.target_std[0]
    last, truth = x[:, -1, 0] * std + mean, y[:, 0] * std + mean
    assert metrics["test/naive_mae"] == pytest.approx((last - truth).abs().mean().item(), rel=1e-5)


@pytest.mark.parametrize("limits", [(), ("+trainer.fast_dev_run=true",)])
def test_naive_model_scores_like_the_baseline(tmp_path, limits):
    """The baseline is scored on the model's windows, also when the trainer limits batches."""
    metrics = train(compose_fast(tmp_path, "model=naive", *limits))
    assert metrics["fit/epochs"] == 0  # nothing to fit
    assert metrics["test/mae"] == pytest.approx(metrics["test/naive_mae"])
    assert metrics["val/mae"] == pytest.approx(metrics["val/naive_mae"])
    assert not (tmp_path / "checkpoints").exists()


def test_iterative_forecast_metrics(tmp_path):
    metrics = train(compose_fast(tmp_path, "model=gru", "eval.iterative=true", "eval.n_ahead=3"))
    for key in ("test/iterative_mae", "test/iterative_mae_h3", "test/iterative_naive_mae_h3"):
        assert math.isfinite(metrics[key]), key
    assert "test/mae_h1" not in metrics  # the model itself forecasts one step


def test_seq2seq_on_vector_targets_fails_before_training(tmp_path):
    cfg = compose_fast(tmp_path, "model=seq2seq", "data.target_mode=vector")
    with pytest.raises(ValueError, match="set data.target_mode=sequence"):
        train(cfg)
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "csv").exists()


def test_command_line_sweep_writes_a_leaderboard(tmp_path):
    overrides = [o for o in FAST + SMALL_SYNTHETIC if not o.startswith("+trainer.enable")]
    done = subprocess.run(
        [
            sys.executable,
            "train.py",
            "-m",
            "model=naive,linear",
            *overrides,
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    board = pd.read_csv(tmp_path / "leaderboard.csv")
    assert sorted(board["model"]) == ["linear", "naive"]
    assert np.isfinite(board["test/mae"]).all()
    assert "| rank | model | val/mae |" in (tmp_path / "leaderboard.md").read_text()


@pytest.mark.shared_data
def test_ridership_experiment_scores_the_weekly_naive_like_pandas(tmp_path, cta_csv):
    """Géron's ridership set-up on the real CTA file: baseline = the value 7 days earlier."""
    cfg = compose_fast(tmp_path, "experiment=ridership_geron", f"data.path={cta_csv}", data=())
    metrics = train(cfg)
    table = pd.read_csv(cta_csv, parse_dates=["service_date"], date_format="%m/%d/%Y")
    rail = table.drop_duplicates().set_index("service_date").sort_index()["rail_boardings"]
    error = (rail.astype(float) - rail.shift(7)).abs()  # the weekly naive forecast's error
    # first targets: 56 input days after each split's start (no lookback across splits)
    assert metrics["val/naive_mae"] == pytest.approx(error["2019-02-26":"2019-05-31"].mean())
    assert metrics["test/naive_mae"] == pytest.approx(error["2019-07-27":"2021-11-30"].mean())
    assert math.isfinite(metrics["val/mae"])


def test_iterative_on_a_multi_step_model_fails_before_training(tmp_path):
    cfg = compose_fast(tmp_path, "model=linear", "data.n_ahead=2", "eval.iterative=true")
    with pytest.raises(ValueError, match=r"one-step model .*got n_ahead=2"):
        train(cfg)
    assert not (tmp_path / "csv").exists()


def test_train_logs_the_leakage_audit(tmp_path, caplog):
    """The data audit (splits, what each reads, the scaler's rows) goes into the run's log."""
    with caplog.at_level(logging.INFO):
        train(compose_fast(tmp_path, "model=naive", "eval.plot_windows=0"))
    audit = caplog.text[caplog.text.index("Data:") :]
    for line in ("split  rows", "train  series 0 step 0", "test   series 90", "scaler:", "check:"):
        assert line in audit, line
