"""Small recurrent forecasters built alike and trained briefly, for the gradient figures."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import lightning as L
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig

from gatework.datamodules.spec import SeriesSpec
from gatework.explain.recurrent import CELL_NAMES, LAYERS, swap_recurrent_layer
from gatework.models import Recurrent
from gatework.training.console import log_level


def study_layer(
    input_size: int,
    hidden_size: int,
    cell: str,
    recurrent_identity: float | None = None,
    **options,
) -> torch.nn.Module:
    """One gatework layer, initialised as torch.nn does unless an option says otherwise.

    Args:
        input_size: F.
        hidden_size: H.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.
        recurrent_identity: start ``W_hh`` at this multiple of the identity (the IRNN of Le et
            al. 2015, for ReLU SimpleRNNs).
        options: further layer arguments: ``forget_bias=1.0`` (LSTM: every forget gate starts
            at b_f = 1, Keras' ``unit_forget_bias``; 0.0: at σ(0) = 0.5), ``nonlinearity="relu"``
            (SimpleRNN), ``num_layers``, ...
    """
    if cell not in LAYERS:
        raise ValueError(f"cell must be one of {tuple(LAYERS)}, got {cell!r}")
    if "forget_bias" in options and cell != "lstm":
        raise ValueError(f"forget_bias applies to the LSTM only, not to cell={cell!r}")
    layer = LAYERS[cell](input_size, hidden_size, **options)
    if recurrent_identity is not None:
        with torch.no_grad():
            for name, p in layer.named_parameters():
                if name.rsplit(".", 1)[-1].startswith("weight_hh"):  # (G·H, H)
                    blocks = p.shape[0] // hidden_size  # one H×H block per gate
                    p.copy_(recurrent_identity * torch.eye(hidden_size).repeat(blocks, 1))
    return layer


def study_label(options: Mapping) -> str:
    """A legend label for :func:`study_layer` options: ``"LSTM forget_bias=1.0"``."""
    extra = " ".join(f"{k}={v}" for k, v in options.items() if k != "cell")
    return f"{LAYERS[options['cell']].__name__} {extra}".strip()


def study_model(
    spec: SeriesSpec, hidden_size: int, optimizer=None, loss: str = "mse", **layer_options
) -> Recurrent:
    """A many-to-one ``Recurrent`` forecaster (the ``model=rnn/lstm/gru`` configs) holding the
    :func:`study_layer` of ``layer_options``."""
    probe = study_layer(spec.n_inputs, hidden_size, **layer_options)
    rnn = {"cell": CELL_NAMES[type(probe)], "hidden_size": hidden_size}
    model = Recurrent(spec, rnn=rnn, optimizer=optimizer, loss=loss)
    return swap_recurrent_layer(model, probe)


def fit_briefly(
    model: L.LightningModule,
    datamodule: L.LightningDataModule,
    trainer_cfg: DictConfig,
    length: Mapping,
    clip: float | None,
    callbacks: Iterable[L.Callback] = (),
    seed: int = 42,
) -> L.LightningModule:
    """Train ``model`` for a few epochs on the training split only, then return it on the CPU.

    The Trainer is ``trainer_cfg`` (the run's ``cfg.trainer``: device, precision) without
    validation, checkpoints, logger or progress bar. ``seed`` is set first, so models fitted
    one after another see the same batches in the same order.

    Args:
        model: the model to fit, in place.
        datamodule: its data.
        trainer_cfg: the ``trainer`` config node.
        length: ``epochs`` (passes over the training batches) and ``batches`` (training batches
            per epoch: a count, a fraction, or None for all), as the figure settings hold them.
        clip: ``gradient_clip_val`` (None: no clipping).
        callbacks: extra callbacks (gradient recorders).
        seed: seed of the batch order.
    """
    L.seed_everything(seed, verbose=False)
    with log_level("lightning.pytorch", logging.WARNING):  # short fits: no banner for each
        trainer = instantiate(
            trainer_cfg,
            max_epochs=length["epochs"],
            min_epochs=0,
            limit_train_batches=length["batches"] if length["batches"] is not None else 1.0,
            limit_val_batches=0,
            num_sanity_val_steps=0,
            gradient_clip_val=clip,
            callbacks=list(callbacks),
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(model, datamodule=datamodule)
    return model.cpu()


def split_windows(
    datamodule: L.LightningDataModule, indices: Iterable[int], split: str = "test"
) -> tuple[torch.Tensor, ...]:
    """Windows ``indices`` of one split as a batch ``(x, y[, x_future])``, scaled.

    Raises:
        ValueError: an index past the split's end, naming the number of windows it has.
    """
    dataset = datamodule.datasets[split]
    indices = list(indices)
    if not indices or max(indices) >= len(dataset) or min(indices) < 0:
        raise ValueError(
            f"the {split} split has {len(dataset)} windows (0 .. {len(dataset) - 1}), "
            f"asked for {indices[:3]}{'...' if len(indices) > 3 else ''}"
        )
    return dataset.__getitems__(indices)  # one gather per array
