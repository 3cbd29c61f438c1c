"""The results tables: every row composes, runs resume, the page shows what was measured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from gatework.training.result_tables import ROWS, TABLE_1, Row, Target
from gatework.training.results_page import render, spread, targets_markdown
from gatework.training.results_runner import append, load_runs, run_train, runs_of, shown_command

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("results_script", REPO / "scripts" / "results.py")
results_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_script)
TINY = "model=naive data.n_series=60 data.splits=[30,15,15] data.input_len=12"


def compose_rows(rows: list[Row], *extra: str) -> list:
    """Each row's config, composed as train.py composes its command line."""
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        return [
            compose("train", overrides=[*row.overrides, f"data.path=/{row.file}.csv", *extra])
            if row.file
            else compose("train", overrides=[*row.overrides, *extra])
            for row in rows
        ]


def test_every_row_composes_and_every_synthetic_row_builds_its_model():
    others = [r for r in ROWS if r.kind == "train" and r.table != 1]
    for row, cfg in zip(others, compose_rows(others), strict=True):
        assert cfg.model._target_.startswith("gatework.models."), row.key
    small = ("data.n_series=30", "data.splits=[10,10,10]")
    for row, cfg in zip(TABLE_1, compose_rows(TABLE_1, *small), strict=True):
        dm = instantiate(cfg.data)
        dm.setup()
        model = instantiate(cfg.model, _partial_=True)(spec=dm.spec)
        assert model.forecast(dm.datasets["val"][0][0][None]).shape[0] == 1, row.key


def test_keys_are_unique_per_table():
    keys = [(r.table, r.key) for r in ROWS]
    assert len(keys) == len(set(keys))


def test_shown_command_quotes_brackets_and_names_the_data_file():
    row = Row(2, "multi", "multi", "experiment=ridership_geron data.inputs=[bus,rail]")
    assert shown_command(row, 1) == (
        "python train.py experiment=ridership_geron 'data.inputs=[bus,rail]' data.path=$CTA seed=1"
    )


def test_a_run_is_recorded_and_read_back(tmp_path):
    row = Row(1, "tiny", "tiny naive", TINY)
    record = run_train(row, 7, {}, tmp_path / "runs", REPO)
    assert record["metrics"]["val/mse"] == pytest.approx(record["metrics"]["val/naive_mse"])
    assert (record["seed"], record["args"]) == (7, TINY) and record["threads"] >= 1
    assert "data:" in (tmp_path / "runs" / "table1" / "tiny" / "seed7" / "run.log").read_text()
    path = tmp_path / "results.jsonl"
    append(path, record)
    append(path, {**record, "args": "something else"})
    assert runs_of(load_runs(path), row) == [record]


def test_the_script_resumes_and_writes_the_page(tmp_path, monkeypatch):
    row = Row(1, "tiny", "tiny naive", TINY, published="0.1")
    target = Target("tiny below 1", 1, ("tiny",), below=1.0)
    monkeypatch.setattr(results_script, "ROWS", [row])
    monkeypatch.setattr(results_script, "TARGETS", [target])
    calls = []

    def fake_run(row, seed, files, out_dir, repo):
        calls.append(seed)
        metrics = {"val/mse": 0.5 + seed, "test/mse": 0.25, "fit/epochs": 3.0}
        return dict(
            kind="train",
            table=1,
            args=row.args,
            seed=seed,
            seconds=60.0,
            metrics=metrics,
            load=[2.0] * 3,
            commit="abc",
            dirty=False,
            when="2026-01-01T00:00:00",
        )

    monkeypatch.setattr(results_script, "run_train", fake_run)
    args = ["--results", str(tmp_path / "r.jsonl"), "--page", str(tmp_path / "r.md")]
    assert results_script.main([*args, "--seeds", "0,1"]) == 0
    assert results_script.main([*args, "--seeds", "0,1,2"]) == 0  # only seed 2 is new
    assert calls == [0, 1, 2]
    page = (tmp_path / "r.md").read_text()
    cells = "| tiny | tiny naive | 0.1 | 1.50000 ± 1.00000 | 0.25000 | - | 0, 1, 2 | 3 |"
    assert cells in page
    assert "| tiny below 1 | `tiny` | 1.50000 | 1.00000 | no |" in page
    quoted = TINY.replace("data.splits=[30,15,15]", "'data.splits=[30,15,15]'")
    assert f"`python train.py {quoted} seed=42`" in page
    assert results_script.main([*args, "--rows", "nope"]) == 2


def test_rows_that_need_a_missing_file_are_skipped_with_a_message(tmp_path, capsys):
    args = ["--table", "2", "--rows", "rnn32", "--cta", str(tmp_path / "absent.csv")]
    args += ["--results", str(tmp_path / "r.jsonl"), "--page", str(tmp_path / "r.md")]
    assert results_script.main(args) == 0
    assert "skip table 2 rnn32: no cta file" in capsys.readouterr().out
    assert "not run: needs the CTA file (--cta)" in (tmp_path / "r.md").read_text()


def test_spread_and_render():
    assert spread([1.0, 3.0], "{:.1f}") == "2.0 ± 1.4"
    assert spread([2.0, 2.0, None], "{:.1f}") == "2.0"
    assert spread([], "{:.1f}") == "-"
    page = render({1: []}, [], "# intro")
    assert page.startswith("# intro\n") and "## Table 1" in page
    assert targets_markdown([Target("t", 1, ("a",))], {1: [Row(1, "a", "a", "")]}, []) == (
        "## Targets\n\n| target | best row | ours (mean) | threshold | met |\n"
        "|---|---|---|---|---|\n| t | - | not run yet | - | - |\n"
    )


def test_sarima_forecasts_each_day_from_the_days_before(monkeypatch):
    import numpy as np
    import pandas as pd

    from gatework.training.sarima import rolling_sarima

    days = pd.date_range("2020-01-01", periods=70, freq="D")
    weekly = 100 + 10 * np.sin(2 * np.pi * np.arange(70) / 7)
    series = pd.Series(weekly + np.random.default_rng(0).normal(0, 0.5, 70), index=days)
    target = days[-3:]
    forecasts = rolling_sarima(series, target, origin=days[0])
    assert (forecasts - series[target]).abs().max() < 3  # the weekly pattern, carried on
    changed = series.copy()
    changed[target[0] :] += 50.0  # the future moves: the first forecast must not
    assert rolling_sarima(changed, target[:1], origin=days[0]).iloc[0] == forecasts.iloc[0]
