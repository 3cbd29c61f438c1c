"""Tiny series, specs, a datamodule and config loading for the model tests (no files read
but configs/model)."""

from __future__ import annotations

import functools
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import DataLoader, TensorDataset

from gatework.datamodules.spec import SeriesSpec

MODEL_CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "model"
CONFIG_NAMES = sorted(p.stem for p in MODEL_CONFIGS.glob("*.yaml"))


BACKENDS = ["torch", "gatework"]


def windows(
    series: torch.Tensor, input_len: int, n_ahead: int, horizon: int = 1, mode: str = "vector"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of a (N, F) series whose columns are all targets, as the spec describes.

    Returns:
        x (W, T, F) and y (W, K*F) for vector targets or (W, T, K*F) for sequence targets.
    """
    N, T = series.shape[0], input_len
    starts = range(N - T - horizon - n_ahead + 2)
    x = torch.stack([series[s : s + T] for s in starts])  # (W, T, F)

    def ahead(t: int) -> torch.Tensor:  # the n_ahead steps after absolute step t, step-major
        return series[t + horizon : t + horizon + n_ahead].flatten()  # (K*F,)

    if mode == "vector":
        y = torch.stack([ahead(s + T - 1) for s in starts])  # (W, K*F)
    else:
        y = torch.stack([torch.stack([ahead(s + t) for t in range(T)]) for s in starts])
    return x, y


def make_spec(series: torch.Tensor, input_len: int, n_ahead: int, **kwargs) -> SeriesSpec:
    """A spec for :func:`windows` over ``series``: every column is an input and a target."""
    F = series.shape[1]
    return SeriesSpec(
        input_len=input_len,
        n_inputs=F,
        n_targets=F,
        n_ahead=n_ahead,
        target_input_index=tuple(range(F)),
        **kwargs,
    )


class WindowDataModule(L.LightningDataModule):
    """Serves the same (x, y) or (x, y, x_future) windows as train, val and test split."""

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        spec: SeriesSpec,
        batch_size: int = 16,
        x_future: torch.Tensor | None = None,
    ):
        super().__init__()
        self.spec, self.batch_size = spec, batch_size
        self.dataset = TensorDataset(x, y) if x_future is None else TensorDataset(x, y, x_future)

    def _loader(self, shuffle: bool = False) -> DataLoader:
        return DataLoader(self.dataset, batch_size=self.batch_size, shuffle=shuffle)

    def train_dataloader(self) -> DataLoader:
        return self._loader(shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader()

    def test_dataloader(self) -> DataLoader:
        return self._loader()


@functools.cache
def model_config(name: str) -> DictConfig:
    """``configs/model/<name>.yaml`` composed by Hydra (its defaults list included)."""
    with initialize_config_dir(str(MODEL_CONFIGS.parent), version_base="1.3"):
        cfg = compose("train", overrides=[f"model={name}"]).model
    OmegaConf.set_struct(cfg, False)  # tests may add keys, e.g. an SGD optimizer's momentum
    return cfg


def build(name: str, spec: SeriesSpec, **overrides):
    """The model of ``configs/model/<name>.yaml`` for ``spec``, as train.py builds it.

    ``overrides`` merge into the config: ``rnn={"backend": "torch"}`` changes one option of the
    recurrent stack and keeps the others.
    """
    cfg = OmegaConf.merge(model_config(name), overrides)
    return instantiate(cfg, _partial_=True)(spec=spec)


def sine(n: int = 200, period: float = 20.0) -> torch.Tensor:
    """A (n, 1) sine wave."""
    return torch.sin(2 * torch.pi * torch.arange(n, dtype=torch.float32) / period).unsqueeze(1)
