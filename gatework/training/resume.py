"""Resuming a run: ``python train.py ckpt_path=<run folder or checkpoint>``.

A run keeps ``checkpoints/last.ckpt``, rewritten atomically after every epoch. Resuming:

1. :func:`resume_arguments` rebuilds the command line: the checkpoint's own overrides first, then
   the ones typed now (which win, e.g. ``trainer.max_epochs=50``), and the checkpoint's run
   folder as ``hydra.run.dir``, so the run continues where it was, in the folder it owns;
2. :func:`resume_checkpoint` finds the file (``<folder>/checkpoints/last.ckpt``);
3. Lightning restores weights, optimiser, epoch, early-stopping and best-checkpoint state, and
   :class:`~gatework.training.checkpoint_record.RunRecord` the random states, so a run killed
   and resumed ends with the metrics of the run that was never stopped;
4. :func:`kept_log` keeps the CSV log of the epochs before the checkpoint (Lightning's logger
   would delete it) and puts them back in front of the new ones.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig

from gatework.training.atomic import atomic_write_text
from gatework.training.checkpoint_record import check_same_data, read_record
from gatework.training.divergence import check_epochs
from gatework.training.run_dir import LOCK_NAME, claim_run_dir, hydra_quote

LAST = "last.ckpt"
SET_ASIDE = "metrics.before-resume.csv"
log = logging.getLogger(__name__)


def resume_checkpoint(ckpt_path: str | os.PathLike | None) -> Path | None:
    """The checkpoint to resume from: ``ckpt_path`` itself, or a run folder's last checkpoint.

    Raises:
        FileNotFoundError: nothing to resume from there, with what to do instead.
    """
    if not ckpt_path:
        return None
    path = Path(ckpt_path).expanduser()
    if path.is_dir():
        last = path / "checkpoints" / LAST
        if not last.is_file():
            raise FileNotFoundError(
                f"ckpt_path={ckpt_path}: no checkpoints/{LAST} in that folder; a run writes it "
                "at the end of its first epoch (a run stopped before, or a baseline such as "
                "model=naive, has nothing to resume: start it again)"
            )
        return last
    if not path.is_file():
        raise FileNotFoundError(
            f"ckpt_path={ckpt_path}: no such file or folder; pass a run folder "
            "(outputs/runs/<date>_<time>) or a .ckpt file"
        )
    return path


def run_dir_of(checkpoint: Path) -> Path | None:
    """The run folder holding ``checkpoint`` (the nearest folder above it with a run's lock
    file: ``<run>/checkpoints/last.ckpt``, ``<run>/csv/checkpoints/epoch=3-step=40.ckpt``)."""
    for folder in list(checkpoint.absolute().parents)[:3]:
        if (folder / LOCK_NAME).is_file():
            return folder
    return None


def _is_override(arg: str) -> bool:
    return not arg.startswith("-") and ("=" in arg or arg.startswith("~"))


def resume_arguments(args: list[str]) -> list[str]:
    """The command-line arguments of a resumed run (see the module docstring).

    Args:
        args: ``sys.argv[1:]``; only acted on with a ``ckpt_path=...`` override and no ``-m``.

    Returns:
        The arguments to run with; ``args`` unchanged when there is nothing to resume from, so
        that ``train()`` reports the problem with the rest of the run's errors.
    """
    parser = OverridesParser.create()
    try:
        parsed = {a: parser.parse_override(a) for a in args if _is_override(a)}
    except HydraException:  # a malformed override: Hydra itself reports it, as always
        return args
    new = {o.key_or_group: a for a, o in parsed.items()}
    ckpt = parsed[new["ckpt_path"]].value() if "ckpt_path" in new else None
    if not isinstance(ckpt, str) or not ckpt or {"-m", "--multirun"} & set(args):
        return args
    try:
        checkpoint = resume_checkpoint(ckpt)
        _, record = read_record(checkpoint)
    except (FileNotFoundError, ValueError):
        return args
    saved, args = [], list(args)
    for override in record["overrides"]:
        key = parser.parse_override(override).key_or_group
        if key == "ckpt_path":
            continue
        if key not in new:
            saved.append(override)
        elif override.startswith("+") and not new[key].startswith(("+", "~")):
            args[args.index(new[key])] = "++" + new[key]  # the saved run added this key
    run_dir = run_dir_of(checkpoint)
    if run_dir is not None and "hydra.run.dir" not in new:
        args.append(f"hydra.run.dir={hydra_quote(str(run_dir.absolute()))}")
    return [*saved, *args]


@contextmanager
def kept_log(trainer: L.Trainer, resumed_epoch: int | None) -> Iterator[None]:
    """Around a resumed ``trainer.fit``: keep the CSV log rows of epochs up to ``resumed_epoch``.

    Lightning's CSV logger deletes ``metrics.csv`` when it starts in a folder that has one; the
    rows are set aside first and written back in front of the new rows afterwards (also when
    the fit fails, so that a second resume finds them). Only the global rank 0 touches the files.

    Args:
        trainer: the Trainer about to fit (its ``log_dir`` is the CSV logger's, ``<run>/csv``).
        resumed_epoch: the checkpoint's epoch; None when not resuming (nothing is done).
    """
    log_dir = trainer.log_dir  # asked by every process: a collective under DDP
    if log_dir is None or resumed_epoch is None or not trainer.is_global_zero:
        yield
        return
    current, aside = Path(log_dir) / "metrics.csv", Path(log_dir) / SET_ASIDE
    frames = [pd.read_csv(f) for f in (aside, current) if f.is_file() and f.stat().st_size]
    if frames:
        before = pd.concat(frames, ignore_index=True)
        if "epoch" in before.columns:
            before = before[before["epoch"] <= resumed_epoch]
        atomic_write_text(aside, before.to_csv(index=False))
        current.unlink(missing_ok=True)
    try:
        yield
    finally:
        if aside.is_file() and current.is_file():
            after = pd.read_csv(current)  # Lightning appends with this header's order: keep it
            before = pd.read_csv(aside).reindex(columns=after.columns)
            merged = pd.concat([before, after], ignore_index=True)
            atomic_write_text(current, merged.to_csv(index=False))
            aside.unlink()
        elif aside.is_file():  # the fit logged nothing: a run whose training had ended
            writers = _csv_writers(trainer)  # made now if not yet: making one deletes the file
            before = pd.read_csv(aside)
            columns = sorted(before.columns)  # the order Lightning's writer keeps its header in
            atomic_write_text(current, before[columns].to_csv(index=False))
            aside.unlink()
            for writer in writers:  # the evaluation's rows append under this header
                writer.metrics_keys = list(columns)


def _csv_writers(trainer: L.Trainer) -> list:
    """The metrics writers of ``trainer``'s CSV loggers (those with a ``metrics_keys`` header)."""
    writers = []
    for logger in getattr(trainer, "loggers", ()):
        writer = getattr(logger, "experiment", None)
        if isinstance(getattr(writer, "metrics_keys", None), list):
            writers.append(writer)
    return writers


def training_ended(
    checkpoint: dict, max_epochs: int | None, min_epochs: int | None = None
) -> str | None:
    """Why the run saved in ``checkpoint`` had stopped training, or None while epochs were left.

    Args:
        checkpoint: the loaded checkpoint (its ``epoch`` and its callbacks' states).
        max_epochs: the resumed run's ``trainer.max_epochs`` (None or -1: no limit).
        min_epochs: ``trainer.min_epochs``: Lightning trains on to it whatever early stopping says.

    Returns:
        ``"max_epochs"`` when its last epoch ran, ``"early stopping"`` when early stopping had
        stopped it, else None.
    """
    epoch = int(checkpoint.get("epoch", 0))
    if reached_max_epochs(epoch, max_epochs):
        return "max_epochs"
    if min_epochs and epoch + 1 < min_epochs:
        return None
    for name, state in (checkpoint.get("callbacks") or {}).items():
        if not name.startswith("EarlyStopping") or not isinstance(state, dict):
            continue
        if "stopping_reason" in state:  # Lightning >= 2.5 saves why; 0 is "not stopped"
            stopped = int(state["stopping_reason"]) != 0
        else:
            stopped = state.get("wait_count", 0) >= state.get("patience", float("inf"))
        if stopped:
            return "early stopping"
    return None


def reached_max_epochs(epoch: int, max_epochs: int | None) -> bool:
    """Whether a checkpoint saved after epoch ``epoch`` (0-based) has trained every epoch of
    ``trainer.max_epochs`` (None or -1: no limit)."""
    return max_epochs is not None and max_epochs > 0 and epoch + 1 >= max_epochs


def resumed_epoch(
    checkpoint: Path, saved: dict, max_epochs: int | None, evaluated: bool = True
) -> int:
    """The epoch ``checkpoint`` was saved at; refuses a run that had completely finished.

    Args:
        checkpoint: the checkpoint file, for the message.
        saved: its content, as :func:`~gatework.training.checkpoint_record.read_record` loads it.
        max_epochs: the resumed run's ``trainer.max_epochs``.
        evaluated: whether the run's folder holds its ``metrics.json`` (the run had finished;
            without it, a run killed after its last epoch still has its evaluation to do).

    Raises:
        ValueError: the run trained ``max_epochs`` epochs and was evaluated.
    """
    epoch = int(saved.get("epoch", 0))
    if evaluated and reached_max_epochs(epoch, max_epochs):
        raise ValueError(
            f"nothing to resume: {checkpoint} was saved after epoch {epoch + 1} of "
            f"trainer.max_epochs={max_epochs} and the run has written its metrics.json; to "
            f"train longer, resume it with a larger trainer.max_epochs "
            f"(e.g. trainer.max_epochs={2 * max_epochs})"
        )
    return epoch


@dataclass(frozen=True)
class RunStart:
    """Where a run writes, and what it resumes from.

    Args:
        out_dir: the run's folder, claimed by this process.
        checkpoint: the checkpoint to resume from, or None for a fresh run.
        epoch: the checkpoint's epoch, or None.
        trained: the checkpoint's training had ended (``trainer.max_epochs`` reached, or early
            stopping had stopped it) but the run was killed before writing ``metrics.json``:
            only its evaluation is left.
        record: the checkpoint's run record, or None.
    """

    out_dir: Path
    checkpoint: Path | None
    epoch: int | None
    trained: bool = False
    record: dict | None = None

    def check_data(self, datamodule: L.LightningDataModule) -> None:
        """Refuse to resume on data that changed since the checkpoint (set-up ``datamodule``);
        see :func:`~gatework.training.checkpoint_record.check_same_data`."""
        if self.checkpoint is not None and self.record is not None:
            check_same_data(self.record, datamodule, self.checkpoint)

    def skip_finished_training(self, trainer: L.Trainer) -> None:
        """Make ``trainer.fit`` restore a :attr:`trained` checkpoint and return at once.

        The fit loop stops at ``max_epochs``: set to the checkpoint's epoch count, ``fit``
        restores the weights, the best checkpoint and the random states, trains nothing, and
        leaves ``trainer.current_epoch`` where the uninterrupted run's fit ended.
        """
        if self.trained and self.epoch is not None:
            trainer.fit_loop.max_epochs = self.epoch + 1


def start_run(cfg: DictConfig) -> RunStart:
    """Everything checked before a run writes anything: ``trainer.max_epochs``, the checkpoint
    named by ``ckpt_path`` (with something left to do), and the claim on the run's folder."""
    check_epochs(cfg.trainer)
    checkpoint = resume_checkpoint(cfg.get("ckpt_path"))
    if checkpoint is None:
        return RunStart(claim_run_dir(cfg.paths.output_dir), None, None)
    saved, record = read_record(checkpoint)
    evaluated = (Path(cfg.paths.output_dir) / "metrics.json").is_file()
    epoch = resumed_epoch(checkpoint, saved, cfg.trainer.max_epochs, evaluated)
    min_epochs = cfg.trainer.get("min_epochs")
    ended = None if evaluated else training_ended(saved, cfg.trainer.max_epochs, min_epochs)
    out_dir = claim_run_dir(cfg.paths.output_dir, resuming=True)
    if ended:
        log.info(
            "%s had stopped training after epoch %d (%s) but the run wrote no metrics.json: "
            "restoring it and finishing the evaluation",
            checkpoint,
            epoch + 1,
            ended,
        )
    return RunStart(out_dir, checkpoint, epoch, trained=ended is not None, record=record)
