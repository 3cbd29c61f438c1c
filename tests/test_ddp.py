"""DDP on two CPU processes: one run folder, one metrics.json, metrics reduced across ranks."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ddp_on_two_cpu_processes_writes_one_set_of_outputs(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "train.py",
            "trainer=ddp",
            "trainer.accelerator=cpu",
            "trainer.devices=2",
            "trainer.max_epochs=1",
            "trainer.enable_progress_bar=false",
            "data.n_series=600",
            "eval.plot_windows=0",
            f"hydra.run.dir={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["val/mae"] > 0 and metrics["test/naive_mae"] > 0
    assert run.stdout.count("naive test") == 1  # only rank 0 prints the table


def test_baseline_trainer_spans_the_same_processes_as_the_model_trainer(tmp_path):
    """The naive baseline's Trainer has the model Trainer's strategy, devices and nodes."""
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from gatework.training.evaluation import quiet_trainer

    overrides = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=1"]
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            "train", overrides=[*overrides, "+trainer.num_nodes=2", f"paths.output_dir={tmp_path}"]
        )
    model_trainer, quiet = instantiate(cfg.trainer), quiet_trainer(cfg.trainer)
    assert quiet.num_nodes == model_trainer.num_nodes == 2
    assert type(quiet.strategy) is type(model_trainer.strategy)
    assert quiet.world_size == model_trainer.world_size
