"""Exploding gradients: the same ReLU SimpleRNN trained with and without gradient clipping."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import lightning as L
import numpy as np
from hydra.utils import instantiate
from matplotlib.figure import Figure
from omegaconf import DictConfig

from gatework.explain.png import save_png
from gatework.explain.study import fit_briefly, study_label, study_model
from gatework.training.grad_norm import total_grad_norm


class StepRecord(L.Callback):
    """Per optimiser step: the training loss and the gradient norm before clipping (the value
    ``GradNormLogger`` logs as ``train/grad_norm``). Stops the fit at the first non-finite
    loss or norm: the step it takes throws the weights to ``inf`` or ``nan``, and every later
    step is lost too."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []
        self.norms: list[float] = []

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer
    ) -> None:
        self.norms.append(float(total_grad_norm(optimizer)))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.losses.append(float(outputs["loss"]))
        if not all(math.isfinite(v[-1]) for v in (self.losses, self.norms) if v):
            trainer.should_stop = True

    def summary(self, clip: float | None) -> dict:
        """Steps run, the first step whose loss or gradient norm is not finite (None: none),
        the largest finite norm, the last loss, and the share of steps whose norm was above
        ``clip`` (those clipping shortened, when it is on)."""
        bad = [
            k
            for k, (a, b) in enumerate(zip(self.losses, self.norms, strict=False))
            if not (math.isfinite(a) and math.isfinite(b))
        ]
        finite = [n for n in self.norms if math.isfinite(n)]
        return {
            "steps": len(self.losses),
            "first_nonfinite_step": bad[0] + 1 if bad else None,  # counted from 1
            "max_grad_norm": max(finite) if finite else None,
            "last_loss": self.losses[-1] if self.losses else None,
            "share_above_clip": (
                float(np.mean([n > clip for n in self.norms])) if clip and self.norms else 0.0
            ),
        }


def plot_clipping(
    runs: dict[str, StepRecord], clip: float, png_path: str | Path, title: str
) -> Path:
    """Loss and pre-clipping gradient norm per step, one line per run, log scales.

    Args:
        runs: label -> the run's :class:`StepRecord`.
        clip: the clipping threshold, drawn as a line on the norm panel.
        png_path: where to save the figure.
        title: the figure's title (model, optimiser).
    """
    fig = Figure(figsize=(11, 4), layout="constrained")
    loss_ax, norm_ax = fig.subplots(1, 2)
    for label, record in runs.items():
        steps = np.arange(1, len(record.losses) + 1)
        style = {"marker": "o", "ms": 3} if len(steps) < 20 else {}  # a short run stays visible
        (line,) = loss_ax.plot(steps, record.losses, label=label, **style)
        norm_ax.plot(
            steps[: len(record.norms)], record.norms, color=line.get_color(), label=label, **style
        )
        first_bad = record.summary(clip)["first_nonfinite_step"]
        if first_bad is not None:
            for ax in (loss_ax, norm_ax):
                ax.axvline(first_bad, color=line.get_color(), ls=":", lw=1)
            loss_ax.annotate(
                f"inf/nan from step {first_bad}",
                (first_bad, 0.9),
                xycoords=("data", "axes fraction"),
                color=line.get_color(),
                fontsize="small",
            )
    norm_ax.axhline(clip, color="black", ls="--", lw=1, label=f"threshold {clip:g}: clipped above")
    loss_ax.set_title("training loss per step")
    loss_ax.set_ylabel("training loss (on the values the model reads; log scale)")
    norm_ax.set_title("gradient norm before clipping (train/grad_norm)")
    norm_ax.set_ylabel("‖∇ loss‖₂ (log scale)")
    for ax in (loss_ax, norm_ax):
        ax.set_yscale("log")
        ax.set_xlabel("optimiser step")
        ax.legend(fontsize="small")
    fig.suptitle(title)
    return save_png(fig, png_path, dpi=90)


def explain_clipping(
    dm: L.LightningDataModule,
    settings: Mapping,
    trainer_cfg: DictConfig,
    seed: int,
    png_path: str | Path,
) -> dict:
    """Train the configured model twice from the same start, without and with clipping.

    Args:
        dm: the datamodule, set up.
        settings: ``cfg.clipping`` (``hidden_size``, ``layer`` options of
            :func:`gatework.explain.study.study_layer`, ``optimizer`` (a partial),
            ``clip_val``, ``epochs``, ``batches``).
        trainer_cfg: ``cfg.trainer``.
        seed: the same initialisation and batch order for both runs.
        png_path: where to save the figure.

    Returns:
        Per run, :meth:`StepRecord.summary`.
    """
    clip = float(settings["clip_val"])
    runs = {}
    for label, clip_val in (("without clipping", None), (f"gradient_clip_val={clip:g}", clip)):
        L.seed_everything(seed, verbose=False)
        optimizer = instantiate(settings["optimizer"])
        model = study_model(dm.spec, settings["hidden_size"], optimizer, **settings["layer"])
        record = StepRecord()
        fit_briefly(model, dm, trainer_cfg, settings, clip_val, [record], seed)
        runs[label] = record
    layer = study_label(settings["layer"])
    opt = settings["optimizer"]
    options = ", ".join(f"{k}={v}" for k, v in opt.items() if not k.startswith("_"))
    optimizer_name = opt["_target_"].rsplit(".", 1)[-1]
    units = settings["hidden_size"]
    title = f"Exploding gradients: {layer}, {units} units; {optimizer_name}({options})"
    plot_clipping(runs, clip, png_path, title)
    return {label: record.summary(clip) for label, record in runs.items()}
