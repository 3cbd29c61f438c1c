"""ForecastModule: the one LightningModule that owns steps, loss, optimiser and metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from functools import partial

import lightning as L
import torch
from omegaconf import DictConfig, ListConfig, OmegaConf
from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.instance_norm import InstanceNorm
from gatework.models.metrics import ForecastMetrics
from gatework.models.quantile import PinballLoss, check_levels
from gatework.models.time2vec import Time2Vec

LOSSES: dict[str, Callable[[], nn.Module]] = {
    "mse": nn.MSELoss,
    "mae": nn.L1Loss,
    "huber": nn.HuberLoss,
}
Batch = tuple[Tensor, ...]
Scheduler = Callable[[torch.optim.Optimizer, L.Trainer], dict]


class ForecastModule(L.LightningModule):
    """Base of every forecasting model: subclasses write ``__init__`` and ``forward`` only.

    The loss is computed on scaled values (every step for ``sequence`` targets); metrics are
    computed in original units (``scaled * target_std + target_mean``) on the forecast of the
    last input step, and logged as ``train/loss``, ``{val,test}/{loss,mae,mse,rmse,smape,mape}``,
    ``mase`` when the spec gives its scale, the errors on the scaled values ``mae_scaled``,
    ``mse_scaled``, ``mae_h1 .. mae_h{n_ahead}`` when ``n_ahead > 1`` and ``mae/<target>``,
    ``mse/<target>`` when there are several targets
    (see :class:`~gatework.models.metrics.ForecastMetrics`).

    ``forward`` receives the scaled window (normalised per window with ``instance_norm``) with
    the Time2Vec features already appended (width ``self.input_size = n_inputs + time2vec``)
    and returns (B, output_size) for vector targets or (B, T, output_size) for sequence
    targets, ``self.output_size`` being ``n_ahead * n_targets`` times the number of quantile
    levels (1 for point forecasts), levels last. Call :meth:`forecast` to go from a raw batch
    window to a point forecast (the median of quantile forecasts), :meth:`quantile_forecast`
    for every level.

    Class attributes:
        target_modes: the ``data.target_mode`` values the model accepts.
        trainable: False for baselines without parameters to fit (``fit`` is skipped).
        uses_future: True when ``forward(x, x_future)`` takes known-future covariates.

    Args:
        spec: the datamodule's window description (a dict is accepted, as saved in hparams).
        loss: ``"mse"``, ``"mae"``, ``"huber"`` or ``"quantile"`` (the pinball loss of every
            level in ``quantiles``), on scaled values.
        optimizer: a partial optimiser, called with ``params=``; default Adam(lr=1e-3).
        time2vec: Time2Vec features appended to every input step (0 = none).
        quantiles: with ``loss="quantile"``, the levels to forecast, increasing, one of them
            0.5 (e.g. ``[0.1, 0.5, 0.9]``). Models without parameters (baselines) forecast one
            value, read as every level.
        instance_norm: None, or ``"last"``, ``"mean"``, ``"revin"``: each window's level (and
            spread) taken out before ``forward`` and put back into the forecast
            (:class:`~gatework.models.instance_norm.InstanceNorm`).
        scheduler: a partial learning-rate schedule, called with ``(optimizer, trainer)`` and
            returning Lightning's ``lr_scheduler`` dict (``gatework.training.schedules``;
            the ``scheduler`` config group); None keeps the learning rate constant.
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
        quantiles: Sequence[float] | None = None,
        instance_norm: str | None = None,
        scheduler: Scheduler | None = None,
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
        if loss not in (*LOSSES, "quantile"):
            raise ValueError(f"model.loss must be one of {(*LOSSES, 'quantile')}, got {loss!r}")
        if quantiles and loss != "quantile":
            raise ValueError(
                f"model.quantiles={list(quantiles)} needs model.loss=quantile, got {loss!r}"
            )
        if time2vec < 0:
            raise ValueError(f"model.time2vec must be >= 0 (0 = off), got {time2vec}")
        self.save_hyperparameters(ignore=["spec", "optimizer", "scheduler", "model"])
        for key, value in self.hparams.items():  # plain types: checkpoints load weights_only
            if isinstance(value, (DictConfig, ListConfig)):
                self.hparams[key] = OmegaConf.to_container(value, resolve=True)
            elif is_dataclass(value) and not isinstance(value, type):  # RecurrentOptions
                self.hparams[key] = asdict(value)
        self.hparams["spec"] = asdict(spec)
        self.spec = spec
        # quantile levels, or None for a point forecast; the head emits n_quantiles per value
        self.levels = check_levels(quantiles) if loss == "quantile" else None
        self.n_quantiles = len(self.levels) if self.levels and self.trainable else 1
        self.median = self.levels.index(0.5) if self.n_quantiles > 1 else 0
        self.output_size = spec.output_size * self.n_quantiles
        self.loss_fn = PinballLoss(self.levels) if self.levels else LOSSES[loss]()
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.instance_norm = InstanceNorm(instance_norm, spec) if instance_norm else None
        self.time2vec = Time2Vec(time2vec, length=spec.input_len) if time2vec else None
        self.input_size = spec.n_inputs + time2vec
        # step-major (n_ahead * n_targets,) scaling, so original = scaled * std + mean per column
        self.register_buffer("target_mean", torch.tensor(spec.target_mean * spec.n_ahead))
        self.register_buffer("target_std", torch.tensor(spec.target_std * spec.n_ahead))
        self.metrics = nn.ModuleDict(
            {split: ForecastMetrics.of_spec(spec, self.levels) for split in ("val", "test")}
        )

    # ----- data flow -------------------------------------------------------------------------
    def outputs(self, x: Tensor, x_future: Tensor | None = None, y: Tensor | None = None) -> Tensor:
        """The network's output for a batch window, on scaled values: normalised per window
        (``instance_norm``), Time2Vec features appended, ``forward``, the window's level put back.

        Args:
            x: (B, T, n_inputs) scaled inputs.
            x_future: (B, n_ahead, n_future) known-future covariates, or None.
            y: the scaled targets; only teacher-forcing models read them, in training.

        Returns:
            (B, output_size), or (B, T, output_size) for sequence targets.
        """
        norm, stats = self.instance_norm, None
        if norm is not None:
            x, stats = norm.normalize(x)
            y = None if y is None else norm.normalize_targets(y, stats)
        out = self.network_forecast(self.add_time_features(x), x_future, y)  # x (B, T, F + k)
        if stats is None:
            return out
        levels = out.unflatten(-1, (-1, self.n_quantiles))  # (B, K*J, Q): each level alike
        return norm.denormalize(levels, stats).flatten(-2)  # (B, output_size)

    def network_forecast(self, x: Tensor, x_future: Tensor | None, y: Tensor | None) -> Tensor:
        """``forward`` on a prepared window; models that read the targets override it."""
        return self(x, x_future) if self.uses_future else self(x)

    def quantile_forecast(
        self, x: Tensor, x_future: Tensor | None = None, y: Tensor | None = None
    ) -> Tensor:
        """Scaled forecast of every quantile level: (..., n_ahead * n_targets, Q), increasing.

        Takes the arguments of :meth:`outputs`; a point forecast is one level (Q = 1).
        """
        return self.as_quantiles(self.outputs(x, x_future, y))

    def forecast(
        self, x: Tensor, x_future: Tensor | None = None, y: Tensor | None = None
    ) -> Tensor:
        """Scaled point forecast of a batch window (the median of quantile forecasts).

        Takes the arguments of :meth:`outputs`.

        Returns:
            (B, n_ahead * n_targets), or (B, T, n_ahead * n_targets) for sequence targets.
        """
        return self.point(self.quantile_forecast(x, x_future, y))

    def as_quantiles(self, out: Tensor) -> Tensor:
        """(..., M * Q) outputs -> (..., M, Q); out of training, sorted so that levels never cross.

        Sorting is the monotone rearrangement of Chernozhukov et al. (2010): it can only lower
        the pinball loss. Training leaves the order alone: sorted there, heads that start alike
        would trade levels from window to window and never separate. Q = 1 for point forecasts.
        """
        quantiles = out.unflatten(-1, (-1, self.n_quantiles))  # (..., M, Q)
        if self.training or self.n_quantiles == 1:
            return quantiles
        return quantiles.sort(dim=-1).values

    def point(self, quantiles: Tensor) -> Tensor:
        """(..., M, Q) -> (..., M): the median level, the point forecast."""
        return quantiles[..., self.median]

    def align_targets(self, y: Tensor) -> Tensor:
        """The targets the outputs forecast: all of them, unless a model's outputs skip steps."""
        return y

    def add_time_features(self, x: Tensor) -> Tensor:
        """Appends the Time2Vec features: (B, T, n_inputs) -> (B, T, input_size)."""
        return x if self.time2vec is None else self.time2vec(x)

    def model_step(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor]:
        """Shared by train/val/test: returns ``(loss, quantiles, y)``, all on scaled values.

        ``quantiles`` is :meth:`quantile_forecast`'s (..., n_ahead * n_targets, Q), Q = 1 for
        point forecasts; ``self.point(quantiles)`` is the forecast.
        """
        x, y = batch[0], self.align_targets(batch[1])
        x_future = batch[2] if len(batch) > 2 else None
        quantiles = self.quantile_forecast(x, x_future, y)
        loss = self.loss_fn(quantiles if self.levels else self.point(quantiles), y)
        return loss, quantiles, y

    def to_original(self, scaled: Tensor) -> Tensor:
        """Undoes the target scaling of (..., n_ahead * n_targets) values."""
        return scaled * self.target_std + self.target_mean

    def quantiles_to_original(self, scaled: Tensor) -> Tensor:
        """Undoes the target scaling of (..., n_ahead * n_targets, Q) quantile forecasts."""
        return scaled * self.target_std[:, None] + self.target_mean[:, None]

    def last_step(self, values: Tensor) -> Tensor:
        """The forecast of the last input step: (B, T, ...) -> (B, ...) for sequence targets."""
        return values[:, -1] if self.spec.target_mode == "sequence" else values

    # ----- Lightning hooks -------------------------------------------------------------------
    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        loss, _, _ = self.model_step(batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def _eval_step(self, batch: Batch, split: str) -> Tensor:
        loss, quantiles, y = self.model_step(batch)
        self.log(
            f"{split}/loss",
            loss,
            on_step=False,
            on_epoch=True,
            prog_bar=split == "val",
            sync_dist=True,
        )
        quantiles = self.quantiles_to_original(self.last_step(quantiles))  # (B, K*J, Q)
        target = self.to_original(self.last_step(y))  # (B, K*J)
        self.metrics[split].update(self.point(quantiles), target, quantiles)
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
        _, quantiles, y = self.model_step(batch)
        return self.to_original(self.point(quantiles)), self.to_original(y)

    def configure_optimizers(self) -> torch.optim.Optimizer | dict:
        if not self.trainable or not any(p.requires_grad for p in self.parameters()):
            raise ValueError(
                f"{type(self).__name__} has no parameters to fit: evaluate it with "
                "trainer.validate/test (train.py skips fit for models with trainable=False)"
            )
        optimizer = (self.optimizer or partial(torch.optim.Adam, lr=1e-3))(params=self.parameters())
        if self.scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler(optimizer, self.trainer)}
