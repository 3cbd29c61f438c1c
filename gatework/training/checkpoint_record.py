"""What a checkpoint carries besides the weights, so that it can be used on its own.

Every checkpoint ``train.py`` writes holds, under ``checkpoint["gatework"]``:

* ``config``: the composed run config (resolved), so the model and its data can be rebuilt;
* ``overrides``: the command-line overrides of the run, which a resumed run starts from;
* ``scaler``: the fitted scaler, so forecasts come back in original units;
* ``columns``: the columns of the training file, which a file to forecast from must have;
* ``data``: the data's row count, split boundaries and a hash of its values, so that a resumed
  run can refuse data that changed since (:func:`check_same_data`);
* ``rng``: the Python, NumPy and torch random states at the moment of saving, so that a resumed
  run draws the same shuffles (and dropout masks) as a run that was never stopped.

All of it is plain Python and tensors, so ``torch.load(..., weights_only=True)`` reads it.
"""

from __future__ import annotations

import hashlib
import math
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
        data: the data's :func:`data_fingerprint`.
    """

    def __init__(
        self,
        config: dict,
        overrides: list[str],
        scaler: dict,
        columns: list[str],
        data: dict | None = None,
    ) -> None:
        self.record = {
            "config": config,
            "overrides": list(overrides),
            "scaler": scaler,
            "columns": list(columns),
            "data": dict(data or {}),
        }

    @classmethod
    def of_run(cls, cfg: DictConfig, datamodule: Any) -> RunRecord:
        """The record of the run composed as ``cfg``, on a set-up ``datamodule``."""
        overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
        columns = datamodule.table.columns if datamodule.table is not None else []
        config = OmegaConf.to_container(cfg, resolve=True)
        scaler = datamodule.scaler.state_dict()
        return cls(config, overrides, scaler, columns, data_fingerprint(datamodule))

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


def data_fingerprint(datamodule: Any) -> dict[str, Any]:
    """What identifies the data of a set-up datamodule: its row count, the rows of each split and
    a SHA-256 of its values (empty when it has no table)."""
    table = getattr(datamodule, "table", None)
    if table is None:
        return {}
    values = np.ascontiguousarray(table.frame.to_numpy(np.float64))  # (N, C)
    digest = hashlib.sha256(repr(list(table.frame.columns)).encode())
    digest.update(values.tobytes())
    return {
        "rows": len(table.frame),
        "splits": {name: [int(r.start), int(r.stop)] for name, r in datamodule.ranges.items()},
        "sha256": digest.hexdigest(),
    }


def data_changes(record: dict[str, Any], datamodule: Any) -> list[str]:
    """How a set-up datamodule's data differs from the data a checkpoint's run trained on.

    Args:
        record: the checkpoint's record (:func:`read_record`).
        datamodule: the data as it is now, set up (its scaler fit on its training rows).

    Returns:
        One phrase per difference (row count, split boundaries, scaler statistics, values);
        empty when the data is the same. A record from before checkpoints kept ``data`` is
        compared on its scaler alone.
    """
    then, now = record.get("data") or {}, data_fingerprint(datamodule)
    changes = []
    if then and now and then["rows"] != now["rows"]:
        changes.append(f"it has {now['rows']:,} rows now, {then['rows']:,} then")
    for name, rows in (now.get("splits") or {}).items():
        before = (then.get("splits") or {}).get(name)
        if before is not None and list(before) != rows:
            changes.append(
                f"the {name} split is rows {rows[0]}..{rows[1] - 1} now, "
                f"{before[0]}..{before[1] - 1} then"
            )
    scaler_then, scaler_now = record.get("scaler") or {}, datamodule.scaler.state_dict()
    if scaler_then and list(scaler_then["columns"]) != scaler_now["columns"]:
        changes.append(
            f"its columns are {scaler_now['columns']} now, {list(scaler_then['columns'])} then"
        )
    elif scaler_then:
        for column, m0, s0, m1, s1 in zip(
            scaler_now["columns"],
            scaler_then["mean"],
            scaler_then["std"],
            scaler_now["mean"],
            scaler_now["std"],
            strict=True,
        ):
            if not (math.isclose(m0, m1, rel_tol=1e-9) and math.isclose(s0, s1, rel_tol=1e-9)):
                changes.append(
                    f"the scaler fit on its training rows gives {column!r} mean {m1:.6g} and "
                    f"std {s1:.6g} now, {m0:.6g} and {s0:.6g} then"
                )
    if not changes and then and now and then["sha256"] != now["sha256"]:
        changes.append("its values differ (same rows and splits, other numbers)")
    return changes


def check_same_data(record: dict[str, Any], datamodule: Any, checkpoint: str | Path) -> None:
    """Refuse to resume ``checkpoint`` on data other than the data its run trained on.

    Raises:
        ValueError: the data changed, naming the data and each difference.
    """
    changes = data_changes(record, datamodule)
    if changes:
        table = getattr(datamodule, "table", None)
        source = getattr(table, "source", "") or "the data"
        raise ValueError(
            f"cannot resume {checkpoint}: {source} is not the data its run trained on: "
            + "; ".join(changes)
            + ". Resuming would continue training on other windows, scaled with other "
            "statistics than the checkpoint's model. Start a new run (leave ckpt_path unset), "
            "or put the original data back to resume this one"
        )
