"""A trained model and its data, from a run folder of train.py or one of its checkpoints."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

import lightning as L
import torch
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf


def find_checkpoint(ckpt: str | Path) -> tuple[Path, Path | None]:
    """The checkpoint file and its run's composed config (``.hydra/config.yaml``), if any.

    Args:
        ckpt: a run folder (``outputs/runs/<date>_<time>``: its ``checkpoints/best.ckpt``, else
            the last ``.ckpt`` below it) or a ``.ckpt`` file (its run folder is two levels up,
            as ``<run>/checkpoints/best.ckpt``).
    """
    path = Path(ckpt)
    if path.is_dir():
        found = sorted(path.glob("**/*.ckpt"), key=lambda p: (p.name != "best.ckpt", str(p)))
        if not found:
            raise FileNotFoundError(f"ckpt={ckpt}: no .ckpt file below this folder")
        file, run_dir = found[0], path
    elif path.is_file():
        file, run_dir = path, path.parent.parent
    else:
        raise FileNotFoundError(f"ckpt={ckpt}: no such run folder or checkpoint file")
    config = run_dir / ".hydra" / "config.yaml"
    return file, (config if config.exists() else None)


def load_trained(
    ckpt: str | Path, cfg: DictConfig, overrides: Sequence[str] = ()
) -> tuple[L.LightningModule, L.LightningDataModule]:
    """The model of a checkpoint, and the data it was trained on, set up with its scaler.

    The model class and the data come from the run's own config when the checkpoint sits in a
    train.py run folder; otherwise from ``cfg.model`` and ``cfg.data`` (pass the ``model=`` and
    ``data=`` the model was trained with). The model is built from the checkpoint's
    hyperparameters (those its class takes) and given its weights, on the CPU.

    Args:
        ckpt: see :func:`find_checkpoint`.
        cfg: the explain config.
        overrides: the ``model``/``data`` overrides given on the command line; refused when
            the run's own config decides (they would be ignored).
    """
    file, config = find_checkpoint(ckpt)
    if config is not None and overrides:
        raise ValueError(
            f"ckpt={ckpt} is explained with the model and data of its run ({config}), so "
            f"{' '.join(overrides)} would be ignored: leave them out (or, for a checkpoint "
            "outside its run folder, give the model= and data= it was trained with)"
        )
    run = OmegaConf.load(config) if config is not None else cfg
    checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    cls = get_class(run.model._target_)
    accepted = inspect.signature(cls).parameters
    hparams = {k: v for k, v in checkpoint["hyper_parameters"].items() if k in accepted}
    model = cls(**hparams)
    model.load_state_dict(checkpoint["state_dict"])
    dm = instantiate(run.data)
    dm.prepare_data()
    dm.setup()
    state = checkpoint.get(type(dm).__qualname__)  # Lightning keeps the datamodule's state
    if state:
        dm.load_state_dict(state)
    return model.eval(), dm
