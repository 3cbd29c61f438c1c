"""What a checkpoint carries besides the weights, so that it can be used on its own.

Every checkpoint ``train.py`` writes holds, under ``checkpoint["gatework"]``:

* ``config``: the composed run config (resolved), so the model and its data can be rebuilt;
* ``overrides``: the command-line overrides of the run, which a resumed run starts from;
* ``scaler``: the fitted scaler, so forecasts come back in original units;
* ``columns``: the columns of the training file, which a file to forecast from must have;
* ``rng``: the Python, NumPy and torch random states at the moment of saving, so that a resumed
  run draws the same shuffles (and dropout masks) as a run that was never stopped.

All of it is plain Python and tensors, so ``torch.load(..., weights_only=True)`` reads it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.callbacks import Callback
from omegaconf import DictConfig, OmegaConf

RECORD_KEY = "gatework"


def rng_states() -> dict[str, Any]:
    """The global random states of Python, NumPy and torch (CUDA too, when in use)."""
    # the global NumPy state is what code using np.random draws from, so it is what is resumed
    kind, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    states = {
        "python": random.getstate(),
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore :func:`rng_states`."""
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class RunRecord(Callback):
    """Writes the record into every checkpoint; restores the random states from a resumed one.

    Args:
        config: the resolved run config, as plain containers.
        overrides: the run's command-line overrides.
        scaler: the datamodule's fitted scaler state.
        columns: the training file's columns (empty for generated data).
    """

    def __init__(
        self, config: dict, overrides: list[str], scaler: dict, columns: list[str]
    ) -> None:
        self.record = {
            "config": config,
            "overrides": list(overrides),
            "scaler": scaler,
            "columns": list(columns),
        }

    @classmethod
    def of_run(cls, cfg: DictConfig, datamodule: Any) -> RunRecord:
        """The record of the run composed as ``cfg``, on a set-up ``datamodule``."""
        overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
        columns = datamodule.table.columns if datamodule.table is not None else []
        config = OmegaConf.to_container(cfg, resolve=True)
        return cls(config, overrides, datamodule.scaler.state_dict(), columns)

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint[RECORD_KEY] = {**self.record, "rng": rng_states()}

    def on_load_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        record = checkpoint.get(RECORD_KEY)
        if record and "rng" in record:
            set_rng_states(record["rng"])


def read_record(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load a checkpoint (on the CPU, plain data only) and its record.

    Returns:
        ``(checkpoint, record)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a checkpoint written by ``train.py``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for a file that is not a checkpoint
        raise ValueError(f"{path} is not a readable checkpoint ({err})") from err
    record = checkpoint.get(RECORD_KEY) if isinstance(checkpoint, dict) else None
    if not record:
        raise ValueError(
            f"{path} holds no run record (config, scaler, overrides): it was not written by "
            "gatework's train.py, or by a version before checkpoints carried one; train again"
        )
    return checkpoint, record
