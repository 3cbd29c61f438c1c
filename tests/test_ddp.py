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
