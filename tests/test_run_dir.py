"""Run folders: each run gets its own, and never writes into one another run holds."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from gatework.training import run_dir
from gatework.training.run_dir import (
    RunDirCallback,
    RunDirInUse,
    claim_run_dir,
    release_run_dir,
)

REPO = Path(__file__).resolve().parents[1]
CLAIM = "from gatework.training.run_dir import {0}; print({0}({1!r}), flush=True); {2}"


def claim_in_subprocess(function: str, folder: Path, then: str = "") -> subprocess.Popen:
    code = CLAIM.format(function, str(folder), then)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_runs_asking_for_the_same_name_get_their_own_folders(tmp_path):
    planned = tmp_path / "runs" / "2026-01-01_12-00-00"
    jobs = [claim_in_subprocess("claim_new_run_dir", planned) for _ in range(4)]
    folders = sorted(job.communicate(timeout=60)[0].strip() for job in jobs)
    assert folders == [str(planned)] + [f"{planned}_{n}" for n in (2, 3, 4)]
    for folder in folders:
        owner = json.loads((Path(folder) / ".run.lock").read_text())
        assert owner["pid"] != os.getpid() and owner["host"]


def test_a_folder_held_by_a_live_run_is_refused_until_it_ends(tmp_path):
    holder = claim_in_subprocess("claim_run_dir", tmp_path / "run", "import time; time.sleep(60)")
    try:
        assert holder.stdout.readline().strip() == str(tmp_path / "run")
        busy = rf"belongs to a run still in progress \(pid {holder.pid} on "
        with pytest.raises(RunDirInUse, match=busy):
            claim_run_dir(tmp_path / "run", resuming=True)
    finally:
        holder.kill()  # as SIGKILL would: the kernel drops the lock with the process
        holder.wait()
    with pytest.raises(RunDirInUse, match=r"holds an earlier run .* continue that run with ckpt_"):
        claim_run_dir(tmp_path / "run")
    assert claim_run_dir(tmp_path / "run", resuming=True) == tmp_path / "run"
    release_run_dir(tmp_path / "run")


def test_a_folder_with_metrics_from_before_is_refused(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "metrics.json").write_text("{}")
    with pytest.raises(RunDirInUse, match=r"holds an earlier run"):
        claim_run_dir(tmp_path / "old")
    assert claim_run_dir(tmp_path / "empty") == tmp_path / "empty"  # created, claimed
    assert claim_run_dir(tmp_path / "empty") == tmp_path / "empty"  # the same process again
    release_run_dir(tmp_path / "empty")


def test_ranks_other_than_zero_write_into_their_rank_zero_folder(tmp_path, monkeypatch):
    claimed = claim_run_dir(tmp_path / "ddp")
    monkeypatch.setattr(run_dir, "_held", {})  # as in another process
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert claim_run_dir(tmp_path / "ddp") == claimed
    release_run_dir(claimed)


def compose_hydra(*overrides: str):
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        return compose("train", overrides=list(overrides), return_hydra_config=True)


def test_the_hydra_callback_renames_a_taken_run_folder(tmp_path):
    cfg = compose_hydra(f"paths.log_dir={tmp_path}")
    planned = Path(cfg.hydra.run.dir)
    planned.mkdir(parents=True)  # a run started in the same second took the name
    RunDirCallback().on_run_start(config=cfg)
    assert cfg.hydra.run.dir == f"{planned}_2"
    assert (Path(cfg.hydra.run.dir) / ".run.lock").exists()
    release_run_dir(cfg.hydra.run.dir)


def test_the_hydra_callback_gives_a_sweep_its_own_folder_and_tells_the_jobs(tmp_path):
    cfg = compose_hydra(f"paths.log_dir={tmp_path}")
    Path(cfg.hydra.sweep.dir).mkdir(parents=True)
    RunDirCallback().on_multirun_start(config=cfg)
    assert cfg.hydra.sweep.dir.endswith("_2")
    assert cfg.hydra.overrides.hydra[-1] == f"hydra.sweep.dir='{cfg.hydra.sweep.dir}'"
    release_run_dir(cfg.hydra.sweep.dir)


def test_an_explicit_run_folder_holding_a_run_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / ".run.lock").write_text("{}")
    cfg = compose_hydra(f"hydra.run.dir={tmp_path / 'mine'}")
    with pytest.raises(RunDirInUse, match="holds an earlier run"):
        RunDirCallback().on_run_start(config=cfg)


@pytest.mark.slow
def test_two_runs_started_together_each_write_their_own_folder(tmp_path):
    """The reported failure: two train.py started in the same second shared one folder."""
    args = [
        "trainer=cpu",
        "trainer.max_epochs=1",
        "data.n_series=120",
        "data.splits=[60,30,30]",
        "eval.plot_windows=0",
        f"paths.log_dir={tmp_path}",
    ]
    runs = [
        subprocess.Popen([sys.executable, "train.py", f"model={m}", *args], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for m in ("naive", "linear")
    ]  # fmt: skip
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2, folders
    models = set()
    for folder in folders:
        log = (folder / "train.log").read_text()
        assert log.count("Config:") == 1  # one run's log only
        models.add("linear" if "_target_: gatework.models.Linear" in log else "naive")
        metrics = json.loads((folder / "metrics.json").read_text())
        if "linear" in models and len(models) == 1:
            assert metrics["fit/epochs"] == 1  # its own metrics, not the naive run's
    assert models == {"linear", "naive"}
