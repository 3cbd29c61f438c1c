"""The sweep leaderboard: gathering metrics.json files, ranking, Markdown and CSV output."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from gatework.training.leaderboard import LeaderboardCallback, collect_runs, write_leaderboard
from gatework.training.report import readable

REPO = Path(__file__).resolve().parents[1]


def fake_run(sweep: Path, num: int, model: str, metrics: dict) -> Path:
    """A run folder as train.py under ``-m`` leaves it: .hydra/ files and metrics.json."""
    run = sweep / str(num)
    (run / ".hydra").mkdir(parents=True)
    overrides = [f"model={model}", "data.n_series=100"]
    OmegaConf.save(OmegaConf.create(overrides), run / ".hydra" / "overrides.yaml")
    hydra_cfg = {"hydra": {"runtime": {"choices": {"model": model, "data": "synthetic"}}}}
    OmegaConf.save(OmegaConf.create(hydra_cfg), run / ".hydra" / "hydra.yaml")
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    fake_run(tmp_path, 0, "naive", {"val/mae": 0.9, "test/mae": 1.0, "test/naive_mae": 1.0})
    fake_run(
        tmp_path,
        1,
        "gru",
        {"val/mae": 0.4, "test/mae": 0.5, "test/naive_mae": 1.0, "test/rmse": None},
    )
    return tmp_path


def test_collect_runs_reads_every_run(sweep):
    runs = collect_runs(sweep).set_index("run")
    assert list(runs.index) == ["0", "1"]
    assert runs.loc["1", "model"] == "gru"
    assert runs.loc["1", "overrides"] == ("model=gru", "data.n_series=100")
    assert runs.loc["0", "val/mae"] == pytest.approx(0.9)
    assert pd.isna(runs.loc["1", "test/rmse"])  # null in JSON is a missing value
    assert pd.isna(runs.loc["0", "test/rmse"])  # a metric only some runs have


def test_write_leaderboard_ranks_lowest_first(sweep):
    md_path, csv_path = write_leaderboard(sweep)
    table = pd.read_csv(csv_path)
    assert list(table["model"]) == ["gru", "naive"]
    assert list(table["rank"]) == [1, 2]
    assert table["overrides"][0] == "model=gru data.n_series=100"
    md = md_path.read_text()
    assert "| rank | model | val/mae | test/mae | test/naive_mae | test/rmse |" in md
    assert "| 1 | gru | 0.4 | 0.5 | 1 | - | model=gru |" in md  # what differs between runs
    assert "Every run: `data.n_series=100`" in md
    assert md.index("| 1 | gru") < md.index("| 2 | naive")


def test_write_leaderboard_by_another_metric(sweep):
    fake_run(sweep, 2, "lstm", {"val/mae": 0.3, "test/mae": 0.7})
    _, csv_path = write_leaderboard(sweep, sort_by="test/mae")
    assert list(pd.read_csv(csv_path)["model"]) == ["gru", "lstm", "naive"]  # lstm leads on val


def test_unknown_metric_names_the_choices(sweep):
    with pytest.raises(ValueError, match=r"sort_by='val/nope'.*pick one of \['test/mae'"):
        write_leaderboard(sweep, sort_by="val/nope")


def test_empty_folder_says_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="no metrics.json below .*outputs/multirun"):
        collect_runs(tmp_path)


def test_hydra_callback_writes_into_the_sweep_dir(sweep):
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}})
    LeaderboardCallback(sort_by="test/mae").on_multirun_end(config)
    assert (sweep / "leaderboard.md").exists()
    assert "Ranked by `test/mae`" in (sweep / "leaderboard.md").read_text()


def test_script_prints_and_writes(sweep):
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "leaderboard.py"), str(sweep)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "| 1 | gru |" in done.stdout
    assert (sweep / "leaderboard.csv").exists()


def test_script_without_arguments_prints_usage():
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "leaderboard.py")], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "usage: python scripts/leaderboard.py SWEEP_DIR" in done.stderr


def test_script_on_a_folder_without_runs_says_what_to_pass(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "leaderboard.py"), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "no metrics.json below" in done.stderr
    assert "Traceback" not in done.stderr


def test_leaderboard_shows_backtest_mean_sd_and_coverage(tmp_path):
    backtest = {"backtest/mae/mean": 30100.0, "backtest/mae/sd": 4210.0, "backtest/mae/fold1": 1.0}
    backtest |= {"backtest/naive_mae/mean": 41000.0, "backtest/naive_mae/sd": 2500.0}
    fake_run(tmp_path, 0, "rnn", {"val/mae": 0.4, "test/conformal_coverage": 0.78, **backtest})
    fake_run(tmp_path, 1, "naive", {"val/mae": 0.9, "test/conformal_coverage": 0.81})
    md_path, csv_path = write_leaderboard(tmp_path)
    md = md_path.read_text()
    header = (
        "| rank | model | val/mae | test/conformal_coverage | backtest/mae | backtest/naive_mae |"
    )
    assert header in md
    assert "| 1 | rnn | 0.4 | 0.78 | 30,100 ± 4,200 | 41,000 ± 2,500 |" in md
    assert "| 2 | naive | 0.9 | 0.81 | - | - |" in md
    assert pd.read_csv(csv_path)["backtest/mae/sd"][0] == 4210.0  # the CSV keeps the numbers


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (28936.4, 4, "28,940"),  # no 2.894e+04 for ridership-sized errors
        (9999.9, 4, "10,000"),
        (1234.5, 4, "1234"),
        (0.012345, 4, "0.01235"),
        (4210.0, 2, "4,200"),
        (1e-5, 4, "1e-05"),
        (math.nan, 4, "nan"),
    ],
)
def test_readable_keeps_significant_digits_without_exponent(value, digits, text):
    assert readable(value, digits) == text
