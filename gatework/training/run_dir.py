"""Run folders that belong to exactly one run.

Hydra names a run's folder after the second it started (``outputs/runs/<date>_<time>``), so two
runs started in the same second would share it: one config's log inside the other's, one
``metrics.json`` overwriting the other. Here a run *claims* its folder before anything is written:

* a folder Hydra named is created with an exclusive ``mkdir``; when it exists already, the run
  takes ``<name>_2``, ``<name>_3``, ... (the first free one), so runs started together each get
  their own;
* a folder named on the command line (``hydra.run.dir=...``, ``paths.output_dir`` in
  ``train(cfg)``) is refused while another run holds it, and refused when it holds a finished
  run, unless this run resumes that one (``ckpt_path=<that folder>``);
* the claim is a lock on ``<folder>/.run.lock`` held for the life of the process (``flock``), so
  a killed run releases it with its process, and the file says who holds it.

:class:`RunDirCallback` (a Hydra callback, ``configs/hydra/default.yaml``) makes the claim before
Hydra creates the folder, for single runs and for a sweep's folder; :func:`claim_run_dir` is the
same claim for ``train(cfg)`` called from Python.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

try:
    import fcntl
except ImportError:  # Windows: the lock file alone marks a folder as taken
    fcntl = None

LOCK_NAME = ".run.lock"
_held: dict[Path, int] = {}  # folders this process has claimed -> the open lock's descriptor


class RunDirInUse(RuntimeError):
    """The folder belongs to another run."""


def is_launching_process() -> bool:
    """False in the extra processes of a multi-process run (DDP ranks > 0, nodes > 0), which
    write into the folder their rank 0 has claimed."""
    return all(int(os.environ.get(k, "0") or 0) == 0 for k in ("LOCAL_RANK", "NODE_RANK", "RANK"))


def _owner(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text() or "{}")
    except (OSError, ValueError):
        return "unknown owner"
    return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')}"


def claim_run_dir(folder: str | os.PathLike, resuming: bool = False) -> Path:
    """Claim ``folder`` (created when missing) for this process, or raise.

    Args:
        folder: the run's folder.
        resuming: this run continues the run in ``folder`` (a finished or killed run's folder is
            then accepted; a folder whose run is still going is not).

    Returns:
        The folder, absolute.

    Raises:
        RunDirInUse: another live process holds the folder, or it holds another run's outputs.
    """
    folder = Path(folder).absolute()
    if folder in _held or not is_launching_process():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    taken_before = lock.exists() or (folder / "metrics.json").exists()
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunDirInUse(
            f"{folder} belongs to a run still in progress ({_owner(lock)}); wait for it to end, "
            "stop it, or write this run elsewhere (leave hydra.run.dir unset for a new folder)"
        ) from None
    if taken_before and not resuming:
        os.close(fd)
        raise RunDirInUse(
            f"{folder} holds an earlier run ({_owner(lock)}); a run never writes into another "
            f"run's folder: leave hydra.run.dir unset for a new folder, or continue that run "
            f"with ckpt_path={folder}"
        )
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv,
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
    _held[folder] = fd
    return folder


def release_run_dir(folder: str | os.PathLike) -> None:
    """Let go of a claimed folder (the run is over); the lock file stays as its mark."""
    fd = _held.pop(Path(folder).absolute(), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor drops the flock


def claim_new_run_dir(planned: str | os.PathLike) -> Path:
    """Claim ``planned``, or the first of ``<planned>_2``, ``<planned>_3``, ... not yet taken.

    Each candidate is created with an exclusive ``mkdir``, so of two runs asking for the same
    name at the same instant exactly one gets it.
    """
    planned = Path(planned)
    planned.parent.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        candidate = planned if n == 1 else planned.with_name(f"{planned.name}_{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return claim_run_dir(candidate)
    raise AssertionError("unreachable")


def hydra_quote(value: str) -> str:
    """A string as one quoted Hydra override value."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _named_on_command_line(config: DictConfig, key: str) -> bool:
    return any(str(o).lstrip("+~").split("=", 1)[0] == key for o in config.hydra.overrides.hydra)


class RunDirCallback(Callback):
    """Hydra callback: claim the run's (or the sweep's) folder before Hydra writes into it."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not is_launching_process():
            return
        planned = str(config.hydra.run.dir)
        if _named_on_command_line(config, "hydra.run.dir"):
            folder = claim_run_dir(planned, resuming=bool(config.get("ckpt_path")))
        else:
            folder = claim_new_run_dir(planned)
        with read_write(config.hydra.run):
            config.hydra.run.dir = str(folder)

    def on_job_end(self, config: DictConfig, job_return: Any = None, **kwargs: Any) -> None:
        release_run_dir(config.hydra.runtime.output_dir)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not is_launching_process():
            return
        planned = str(config.hydra.sweep.dir)
        if _named_on_command_line(config, "hydra.sweep.dir"):
            folder = claim_run_dir(planned)
        else:
            folder = claim_new_run_dir(planned)
        with read_write(config.hydra), open_dict(config.hydra):
            config.hydra.sweep.dir = str(folder)
            # each job's config is composed again from these overrides: it must name the folder
            config.hydra.overrides.hydra.append(f"hydra.sweep.dir={hydra_quote(str(folder))}")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        release_run_dir(config.hydra.sweep.dir)
