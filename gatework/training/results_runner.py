"""Run the rows of the results tables, one ``train(cfg)`` per (row, seed), resumably.

A run composes the row's arguments exactly as ``python train.py`` would and calls train.py's
``train(cfg)`` in this process (which saves the seconds of imports a process per run costs on a
loaded machine); its log goes to ``run.log`` in its run folder. Each finished run is appended
as one JSON line to the results file (``docs/results.jsonl``): the row's arguments, the seed,
every metric of its ``metrics.json``, the wall time, the machine's load average when it ended,
the torch threads and the commit. A (arguments, seed) pair already in the file is not run
again, so an interrupted sweep resumes where it stopped, and rows that share a command (one
seq2seq run read at +1 and +14 days) share its runs.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import logging
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

from gatework.training.console import log_level
from gatework.training.result_tables import Row

PLACEHOLDERS = {"cta": "$CTA", "jena": "$JENA"}  # how the page writes the data files' paths
CODE = ("gatework", "configs", "train.py")  # a run is "dirty" when these differ from the commit


def shown_command(row: Row, seed: int | str = "42") -> str:
    """The command a user types for ``row``, the data file written as ``$CTA`` / ``$JENA``."""
    if row.kind == "sarima":
        return f"python scripts/results.py --table {row.table} --rows {row.key} --cta $CTA"
    args = [f"'{a}'" if "[" in a or "~" in a else a for a in row.overrides]  # for the shell
    path = [f"data.path={PLACEHOLDERS[row.file]}"] if row.file else []
    return " ".join(["python train.py", *args, *path, f"seed={seed}"])


def load_runs(path: Path) -> list[dict]:
    """Every record of the results file (none when it does not exist yet)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def runs_of(runs: list[dict], row: Row) -> list[dict]:
    """The records measuring ``row``: the same kind, table and arguments, one per seed."""
    found = {}
    for run in runs:
        if (run["kind"], run["table"], run["args"]) == (row.kind, row.table, row.args):
            found[run["seed"]] = run  # a later record of the same seed replaces an earlier one
    return list(found.values())


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    return done.stdout.strip()


def _record(row: Row, seed: int | None, metrics: dict, seconds: float, repo: Path) -> dict:
    return {
        "kind": row.kind,
        "table": row.table,
        "args": row.args,
        "seed": seed,
        "metrics": metrics,
        "seconds": round(seconds, 1),
        "load": [round(v, 2) for v in os.getloadavg()],
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "commit": _git(repo, "rev-parse", "--short", "HEAD"),
        "dirty": bool(_git(repo, "status", "--porcelain", "--", *CODE)),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@functools.cache  # loaded once for every (row, seed) of a results run
def _train_function(repo: Path):
    """train.py's ``train(cfg)`` (a script at the repository root, loaded by path)."""
    spec = importlib.util.spec_from_file_location("train", repo / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.train


def run_train(row: Row, seed: int, files: dict[str, Path], out_dir: Path, repo: Path) -> dict:
    """One run of ``row`` with ``seed``, as ``python train.py <args> seed=<seed>`` runs it.

    The runner adds the run folder under ``out_dir`` (``paths.output_dir``), no progress bar and
    no forecast plot, none of which changes a number.

    Raises:
        RuntimeError: when the run fails, naming its log.
    """
    run_dir = out_dir / f"table{row.table}" / row.key / f"seed{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    data = [f"data.path={files[row.file]}"] if row.file else []
    extra = [f"paths.output_dir={run_dir}", "trainer.enable_progress_bar=false"]
    overrides = [*row.overrides, *data, f"seed={seed}", *extra, "eval.plot_windows=0"]
    with initialize_config_dir(str(repo / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    log = run_dir / "run.log"
    handler = logging.FileHandler(log, mode="w")
    root = logging.getLogger()
    root.addHandler(handler)
    start = time.perf_counter()
    try:
        with (
            log_level("", logging.INFO),  # train.py's log: the config, the data audit, the fit
            log_level("lightning.pytorch", logging.WARNING),  # its console handler would flood
            log.open("a") as out,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
        ):
            metrics = _train_function(repo)(cfg)
    except Exception as err:  # any failure of one run: the sweep goes on with the next
        raise RuntimeError(f"{shown_command(row, seed)} failed ({err!r}): see {log}") from err
    finally:
        root.removeHandler(handler)
    return _record(row, seed, metrics, time.perf_counter() - start, repo)


def run_sarima(row: Row, files: dict[str, Path], repo: Path) -> dict:
    """Géron's SARIMA on the CTA rail series, scored on the validation windows' target days
    (``val/mae``) and on the book's 2019-03 .. 05 (``val/mae_book_period``)."""
    from gatework.datamodules import RidershipDataModule
    from gatework.training.sarima import rolling_sarima

    start = time.perf_counter()
    dm = RidershipDataModule(path=str(files["cta"]), scale=False)
    dm.setup()
    val = dm.datasets["val"]
    rows = val.target_rows(range(len(val)))[:, 0]  # (W,): one target day per window
    rail = dm.table.frame["rail"].astype(float)
    days = rail.index[rows]
    errors = (rolling_sarima(rail, days, origin="2019-01-01") - rail[days]).abs()
    metrics = {"val/mae": errors.mean(), "val/mae_book_period": errors["2019-03":"2019-05"].mean()}
    return _record(row, None, metrics, time.perf_counter() - start, repo)


def append(path: Path, record: dict) -> None:
    """Adds one record to the results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
