"""ForecastModule: the one LightningModule that owns steps, loss, optimiser and metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from functools import partial

import lightning as L
import torch
from omegaconf import DictConfig, ListConfig, OmegaConf
from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.metrics import ForecastMetrics
from gatework.models.time2vec import Time2Vec

LOSSES: dict[str, Callable[[], nn.Module]] = {
    "mse": nn.MSELoss,
    "mae": nn.L1Loss,
    "huber": nn.HuberLoss,
}
Batch = tuple[Tensor, ...]


class ForecastModule(L.LightningModule):
    """Base of every forecasting model: subclasses write ``__init__`` and ``forward`` only.

    The loss is computed on scaled values (every step for ``sequence`` targets); metrics are
    computed in original units (``scaled * target_std + target_mean``) on the forecast of the
    last input step, and logged as ``train/loss``, ``{val,test}/{loss,mae,mse,rmse,smape,mape}``,
    ``mase`` when the spec gives its scale and, when ``n_ahead > 1``, ``{val,test}/mae_h1 ..
    mae_h{n_ahead}`` (see :class:`~gatework.models.metrics.ForecastMetrics`).

    ``forward`` receives the scaled window with the Time2Vec features already appended (width
    ``self.input_size = n_inputs + time2vec``) and returns (B, n_ahead * n_targets) for vector
    targets or (B, T, n_ahead * n_targets) for sequence targets. Call :meth:`forecast` to go
    from a raw batch window to a forecast.

    Class attributes:
        target_modes: the ``data.target_mode`` values the model accepts.
        trainable: False for baselines without parameters to fit (``fit`` is skipped).
        uses_future: True when ``forward(x, x_future)`` takes known-future covariates.

    Args:
        spec: the datamodule's window description (a dict is accepted, as saved in hparams).
        loss: ``"mse"``, ``"mae"`` or ``"huber"`` (on scaled values).
        optimizer: a partial optimiser, called with ``params=``; default Adam(lr=1e-3).
        time2vec: Time2Vec features appended to every input step (0 = none).
    """

    target_modes: tuple[str, ...] = ("vector",)
    trainable: bool = True
    uses_future: bool = False

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        loss: str = "mse",
        optimizer: Callable[..., torch.optim.Optimizer] | None = None,
        time2vec: int = 0,
    ) -> None:
        super().__init__()
        spec = SeriesSpec(**spec) if isinstance(spec, Mapping) else spec
        name = type(self).__name__
        if spec.target_mode not in self.target_modes:
            raise ValueError(
                f"{name} accepts data.target_mode in {self.target_modes}, got "
                f"{spec.target_mode!r}: set data.target_mode={self.target_modes[0]}"
            )
        if spec.n_future and self.trainable and not self.uses_future:
            raise ValueError(
                f"{name} does not read known-future covariates, but the data serves "
                f"{spec.n_future} per target step (data.future_columns): use "
                "model=encoder_decoder, or set data.future_columns=null"
            )
        if loss not in LOSSES:
            raise ValueError(f"model.loss must be one of {tuple(LOSSES)}, got {loss!r}")
        if time2vec < 0:
            raise ValueError(f"model.time2vec must be >= 0 (0 = off), got {time2vec}")
        self.save_hyperparameters(ignore=["spec", "optimizer", "model"])
        for key, value in self.hparams.items():  # plain types: checkpoints load weights_only
            if isinstance(value, (DictConfig, ListConfig)):
                self.hparams[key] = OmegaConf.to_container(value, resolve=True)
        self.hparams["spec"] = asdict(spec)
        self.spec = spec
        self.loss_fn = LOSSES[loss]()
        self.optimizer = optimizer
        self.time2vec = Time2Vec(time2vec, length=spec.input_len) if time2vec else None
        self.input_size = spec.n_inputs + time2vec
        # step-major (n_ahead * n_targets,) scaling, so original = scaled * std + mean per column
        self.register_buffer("target_mean", torch.tensor(spec.target_mean * spec.n_ahead))
        self.register_buffer("target_std", torch.tensor(spec.target_std * spec.n_ahead))
        self.metrics = nn.ModuleDict(
            {
                split: ForecastMetrics(spec.n_ahead, spec.n_targets, spec.mase_scale)
                for split in ("val", "test")
            }
        )

    # ----- data flow -------------------------------------------------------------------------
    def forecast(
        self, x: Tensor, x_future: Tensor | None = None, y: Tensor | None = None
    ) -> Tensor:
        """Scaled forecast of a batch window: Time2Vec features appended, then ``forward``.

        Args:
            x: (B, T, n_inputs) scaled inputs.
            x_future: (B, n_ahead, n_future) known-future covariates, or None.
            y: the scaled targets; unused here (teacher-forcing models read them in training).

        Returns:
            (B, n_ahead * n_targets), or (B, T, n_ahead * n_targets) for sequence targets.
        """
        x = self.add_time_features(x)  # (B, T, F + k)
        return self(x, x_future) if self.uses_future else self(x)

    def add_time_features(self, x: Tensor) -> Tensor:
        """Appends the Time2Vec features: (B, T, n_inputs) -> (B, T, input_size)."""
        return x if self.time2vec is None else self.time2vec(x)

    def model_step(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor]:
        """Shared by train/val/test: returns ``(loss, pred, y)``, all on scaled values."""
        x, y = batch[0], batch[1]
        x_future = batch[2] if len(batch) > 2 else None
        pred = self.forecast(x, x_future, y)
        return self.loss_fn(pred, y), pred, y

    def to_original(self, scaled: Tensor) -> Tensor:
        """Undoes the target scaling of (..., n_ahead * n_targets) values."""
        return scaled * self.target_std + self.target_mean

    def last_step(self, values: Tensor) -> Tensor:
        """The forecast of the last input step: (B, T, K*J) -> (B, K*J); vectors pass through."""
        return values[:, -1] if values.dim() == 3 else values

    # ----- Lightning hooks -------------------------------------------------------------------
    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        loss, _, _ = self.model_step(batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def _eval_step(self, batch: Batch, split: str) -> Tensor:
        loss, pred, y = self.model_step(batch)
        self.log(
            f"{split}/loss",
            loss,
            on_step=False,
            on_epoch=True,
            prog_bar=split == "val",
            sync_dist=True,
        )
        preds, target = self.to_original(self.last_step(pred)), self.to_original(self.last_step(y))
        self.metrics[split].update(preds, target)
        return loss

    def _log_metrics(self, split: str) -> None:
        metrics = self.metrics[split]
        if metrics.updates:
            self.log_dict({f"{split}/{k}": v for k, v in metrics.compute().items()})
        metrics.reset()

    def validation_step(self, batch: Batch, batch_idx: int) -> Tensor:
        return self._eval_step(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> Tensor:
        return self._eval_step(batch, "test")

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    def predict_step(self, batch: Batch, batch_idx: int) -> tuple[Tensor, Tensor]:
        """Returns ``(forecast, truth)`` in original units, shaped like ``y``."""
        _, pred, y = self.model_step(batch)
        return self.to_original(pred), self.to_original(y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        if not self.trainable or not any(p.requires_grad for p in self.parameters()):
            raise ValueError(
                f"{type(self).__name__} has no parameters to fit: evaluate it with "
                "trainer.validate/test (train.py skips fit for models with trainable=False)"
            )
        optimizer = self.optimizer or partial(torch.optim.Adam, lr=1e-3)
        return optimizer(params=self.parameters())
