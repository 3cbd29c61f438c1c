"""Resuming: the same metrics as a run never stopped, the log kept, the command line rebuilt."""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from test_train import compose_fast, train

from gatework.training.resume import (
    kept_log,
    resume_arguments,
    resume_checkpoint,
    resumed_epoch,
    training_ended,
)

REPO = Path(__file__).resolve().parents[1]
TWO_EPOCHS = ("model=linear", "trainer.max_epochs=2")


def fake_checkpoint(path: Path, overrides: list[str], epoch: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"overrides": overrides, "config": {}, "scaler": {}, "columns": [], "rng": {}}
    torch.save({"epoch": epoch, "gatework": record}, path)
    return path


def test_metrics_json_of_two_runs_with_one_seed_are_byte_identical(tmp_path):
    for name in ("a", "b"):
        train(compose_fast(tmp_path / name, "model=linear", "trainer.max_epochs=2"))
    first = (tmp_path / "a" / "metrics.json").read_bytes()
    assert first == (tmp_path / "b" / "metrics.json").read_bytes()
    assert b"seconds" not in first  # timings live in timings.json
    assert json.loads((tmp_path / "a" / "timings.json").read_text())["fit/seconds"] > 0


def test_a_resumed_run_ends_as_the_run_never_stopped(tmp_path):
    full = train(compose_fast(tmp_path / "full", *TWO_EPOCHS))
    run = tmp_path / "stopped"
    train(compose_fast(run, *TWO_EPOCHS, "trainer.max_epochs=1"))  # stopped after epoch 1 of 2
    resumed = train(compose_fast(run, *TWO_EPOCHS, f"ckpt_path={run}"))
    assert resumed == full
    assert (run / "metrics.json").read_bytes() == (tmp_path / "full" / "metrics.json").read_bytes()
    log = pd.read_csv(run / "csv" / "metrics.csv").dropna(subset=["val/mae"])
    assert sorted(set(log["epoch"])) == [0, 1, 2]  # epoch 0 kept from before, then 1, then eval


def test_resume_points_at_the_last_checkpoint_or_says_why_not(tmp_path):
    last = fake_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt", [])
    assert resume_checkpoint(tmp_path / "run") == last
    assert resume_checkpoint(last) == last
    assert resume_checkpoint(None) is None
    with pytest.raises(FileNotFoundError, match=r"no checkpoints/last.ckpt in that folder"):
        resume_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no such file or folder; pass a run folder"):
        resume_checkpoint(tmp_path / "nope")
    x = fake_checkpoint(tmp_path / "x.ckpt", [], epoch=2)
    saved = torch.load(x, weights_only=True)
    with pytest.raises(ValueError, match=r"nothing to resume: .* after epoch 3 of trainer.max"):
        resumed_epoch(x, saved, max_epochs=3, evaluated=True)
    assert resumed_epoch(x, saved, max_epochs=3, evaluated=False) == 2  # evaluation left to do
    assert resumed_epoch(x, saved, max_epochs=4) == 2


def test_training_ended_at_max_epochs_or_by_early_stopping():
    stopped = {"EarlyStopping{'monitor': 'val/mae'}": {"wait_count": 1, "stopping_reason": 1}}
    going = {"EarlyStopping{'monitor': 'val/mae'}": {"wait_count": 1, "stopping_reason": 0}}
    assert training_ended({"epoch": 2}, max_epochs=3) == "max_epochs"
    assert training_ended({"epoch": 1}, max_epochs=3) is None
    assert training_ended({"epoch": 1, "callbacks": stopped}, 3) == "early stopping"
    assert training_ended({"epoch": 1, "callbacks": stopped}, 3, min_epochs=5) is None
    assert training_ended({"epoch": 1, "callbacks": going}, max_epochs=-1) is None
    older = {"EarlyStopping{}": {"wait_count": 3, "patience": 3}}  # no stopping_reason saved
    assert training_ended({"epoch": 1, "callbacks": older}, max_epochs=None) == "early stopping"


@pytest.mark.parametrize(
    "stop",
    [
        ("trainer.max_epochs=2",),
        ("trainer.max_epochs=4", "+callbacks.early_stopping.stopping_threshold=1e9"),
    ],
    ids=["max_epochs", "early_stopping"],
)
def test_a_run_killed_after_training_ended_is_evaluated_on_resume(tmp_path, stop):
    run = tmp_path / "run"
    train(compose_fast(run, "model=linear", *stop))
    finished = (run / "metrics.json").read_bytes()
    (run / "metrics.json").unlink()  # as when killed during evaluation or backtest
    last = (run / "checkpoints" / "last.ckpt").read_bytes()
    train(compose_fast(run, "model=linear", *stop, f"ckpt_path={run}"))
    assert (run / "metrics.json").read_bytes() == finished
    assert (run / "checkpoints" / "last.ckpt").read_bytes() == last  # nothing trained again
    log = pd.read_csv(run / "csv" / "metrics.csv")
    assert log["train/loss"].notna().any() and log["test/mae"].notna().any()  # fit's + eval's
    if "trainer.max_epochs=2" in stop:  # finished: resuming again has nothing left to do
        with pytest.raises(ValueError, match=r"has written its metrics.json; to train longer"):
            train(compose_fast(run, "model=linear", *stop, f"ckpt_path={run}"))


def test_the_command_line_of_a_resumed_run(tmp_path):
    saved = ["model=lstm", "trainer.max_epochs=5", "+trainer.limit_train_batches=3", "ckpt_path=x"]
    run = tmp_path / "runs" / "2026-01-01_00-00-00"
    fake_checkpoint(run / "checkpoints" / "last.ckpt", saved)
    (run / ".run.lock").write_text("{}")  # what marks a run's folder
    args = [
        "--cfg",
        "job",
        f"ckpt_path={run}",
        "trainer.max_epochs=9",
        "trainer.limit_train_batches=4",
    ]
    assert resume_arguments(args) == [
        "model=lstm",  # the run's own
        "--cfg",
        "job",
        f"ckpt_path={run}",
        "trainer.max_epochs=9",  # typed now: wins
        "++trainer.limit_train_batches=4",  # the run added the key: it must still be added
        f"hydra.run.dir='{run}'",  # the run continues in its own folder
    ]
    assert resume_arguments([f"+ckpt_path={run}"])[0] == "model=lstm"  # + changes nothing
    assert resume_arguments(["model=gru"]) == ["model=gru"]  # nothing to resume
    assert resume_arguments(["data.sep=;", "x"]) == ["data.sep=;", "x"]  # Hydra will say why
    assert resume_arguments(["-m", f"ckpt_path={run}"]) == ["-m", f"ckpt_path={run}"]
    missing = [f"ckpt_path={tmp_path / 'nope'}"]
    assert resume_arguments(missing) == missing  # train() reports it, with the other errors
    lightnings = fake_checkpoint(run / "csv" / "checkpoints" / "epoch=3-step=40.ckpt", saved)
    quoted = f"ckpt_path='{lightnings}'"  # Hydra needs quotes around a value holding "="
    assert resume_arguments([quoted])[-1] == f"hydra.run.dir='{run}'"
    loose = fake_checkpoint(tmp_path / "copied.ckpt", saved)
    assert resume_arguments([f"ckpt_path={loose}"]) == [*saved[:3], f"ckpt_path={loose}"]


def test_kept_log_puts_the_epochs_before_the_checkpoint_back(tmp_path):
    header = "epoch,step,train/loss,val/mae\n"
    (tmp_path / "metrics.csv").write_text(header + "0,9,0.5,\n0,9,,2.0\n1,19,0.4,\n1,19,,1.5\n")
    trainer = SimpleNamespace(log_dir=str(tmp_path), is_global_zero=True)
    with kept_log(trainer, resumed_epoch=0):  # epoch 1 was cut short and is trained again
        assert not (tmp_path / "metrics.csv").exists()  # Lightning's logger would delete it
        (tmp_path / "metrics.csv").write_text(header + "1,19,0.3,\n1,19,,1.0\n")
    log = pd.read_csv(tmp_path / "metrics.csv")
    assert log["epoch"].tolist() == [0, 0, 1, 1]
    assert log["val/mae"].dropna().tolist() == [2.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


@pytest.mark.slow
def test_a_run_killed_with_sigkill_and_resumed_ends_as_the_uninterrupted_run(tmp_path):
    args = [
        "trainer=cpu",
        "trainer.max_epochs=3",
        "trainer.enable_progress_bar=false",
        "callbacks.early_stopping.patience=10",
        "data.n_series=300",
        "data.splits=[200,50,50]",
        "model=gru",
        "model.rnn.hidden_size=8",
        "eval.plot_windows=0",
        "seed=3",
    ]

    def run(*extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "train.py", *extra],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    full = run(*args, f"hydra.run.dir={tmp_path / 'full'}")
    assert full.wait(timeout=600) == 0, full.stderr.read()[-3000:]

    killed = run(*args, f"hydra.run.dir={tmp_path / 'killed'}")
    last = tmp_path / "killed" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 600
    while not last.exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)  # right after the first epoch's checkpoint
    assert killed.wait(timeout=60) == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (tmp_path / "killed" / "metrics.json").exists()
    shutil.copy(last, tmp_path / "at_kill.ckpt")

    resumed = run(f"ckpt_path={tmp_path / 'killed'}")  # nothing else: the run's own overrides
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()[-3000:]
    assert torch.load(tmp_path / "at_kill.ckpt", weights_only=True)["epoch"] < 2
    full_metrics = (tmp_path / "full" / "metrics.json").read_bytes()
    assert (tmp_path / "killed" / "metrics.json").read_bytes() == full_metrics
    log = pd.read_csv(tmp_path / "killed" / "csv" / "metrics.csv").dropna(subset=["val/mae"])
    assert {0, 1, 2} <= set(log["epoch"])  # the epochs before the kill are still in the log


def test_resuming_on_changed_data_is_refused_and_says_what_changed(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "grow.csv"
    frame = pd.DataFrame({"y": np.sin(np.arange(200) / 5) + rng.normal(0, 0.1, 200)})
    frame.to_csv(path, index=False)
    data = ("data=csv", f"data.path={path}", "data.targets=[y]", "data.input_len=12")
    run = tmp_path / "run"
    train(compose_fast(run, "model=linear", "trainer.max_epochs=1", data=data))
    scaler = (run / "scaler.json").read_bytes()
    original = path.read_bytes()

    grown = pd.concat([frame, frame.iloc[:40]], ignore_index=True)
    grown.to_csv(path, index=False)  # rows appended
    resume = ("model=linear", "trainer.max_epochs=2", f"ckpt_path={run}")
    with pytest.raises(ValueError, match=r"grow.csv is not the data its run trained on") as err:
        train(compose_fast(run, *resume, data=data))
    message = str(err.value)
    assert "it has 240 rows now, 200 then" in message
    assert "the train split is rows 0..167 now, 0..139 then" in message
    assert "the scaler fit on its training rows gives 'y' mean" in message
    assert "Start a new run (leave ckpt_path unset), or put the original data back" in message
    assert (run / "scaler.json").read_bytes() == scaler  # nothing of the run was rewritten

    frame.loc[190, "y"] += 1.0  # a test-split value edited: same rows, same scaler
    frame.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"its values differ \(same rows and splits"):
        train(compose_fast(run, *resume, data=data))

    path.write_bytes(original)  # the original data back: the run resumes
    assert train(compose_fast(run, *resume, data=data))["fit/epochs"] == 2
