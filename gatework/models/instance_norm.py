"""InstanceNorm: each window's own level (and spread) out before the network, back in after.

A series whose level moves (the CTA rail ridership collapsing in March 2020) sends a network
inputs far outside its training range, and it keeps forecasting the old level. Normalising each
window by its own statistics removes the level the network has to learn, and adding it back to
the forecast puts the level of *this* window in its place:

* ``last``: ``x - x_T``, the window's last value (NLinear, Zeng et al. 2023);
* ``mean``: ``x - mean_t(x)``;
* ``revin``: ``(x - mean_t(x)) / std_t(x)``, then a learnable ``γ x + β`` per column, both
  inverted on the forecast (RevIN, Kim et al. 2022).

Only the input columns that are targets are normalised (their statistics are what is added back
to their forecast); other inputs, covariates such as day types, pass through unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec

MODES = ("last", "mean", "revin")
EPS = 1e-5
Stats = tuple[Tensor, Tensor]  # (location, scale), each (B, J)


class InstanceNorm(nn.Module):
    """Per-window normalisation of the target columns, inverted on the forecast.

    Args:
        mode: ``"last"``, ``"mean"`` or ``"revin"`` (see the module docstring).
        spec: the datamodule's window description; needs vector targets (a window's statistics
            read its last steps, which lie after the targets of its earlier steps in sequence
            mode) and at least one target among the inputs.

    Shape:
        normalize(x): (B, T, F) -> (B, T, F) and the statistics, each (B, J).
        denormalize(pred, stats): (B, n_ahead * n_targets, ...) -> the same, step-major; the
        trailing dimensions (quantile levels) are denormalised alike.
    """

    def __init__(self, mode: str, spec: SeriesSpec) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"model.instance_norm must be null or one of {MODES}, got {mode!r}")
        if spec.target_mode != "vector":
            raise ValueError(
                f"model.instance_norm={mode} takes each window's statistics from its last steps, "
                "which lie after the targets of its earlier steps in data.target_mode=sequence: "
                "use data.target_mode=vector, or model.instance_norm=null"
            )
        index = spec.target_input_index
        if all(i is None for i in index):
            raise ValueError(
                f"model.instance_norm={mode} adds each target's level back from its input column, "
                f"but no target is an input (inputs {list(spec.input_names)}): add the targets to "
                "data.inputs, or set model.instance_norm=null"
            )
        self.mode, self.n_ahead = mode, spec.n_ahead
        self.register_buffer(
            "columns", torch.tensor([0 if i is None else i for i in index]), persistent=False
        )  # (J,)
        self.register_buffer(
            "observed", torch.tensor([i is not None for i in index]), persistent=False
        )  # (J,): False for targets that are not inputs, left as they are
        if mode == "revin":
            self.gamma = nn.Parameter(torch.ones(spec.n_targets))  # (J,)
            self.beta = nn.Parameter(torch.zeros(spec.n_targets))  # (J,)

    def statistics(self, x: Tensor) -> Stats:
        """Location and scale of each target's input column over the window: (B, J) each."""
        values = x[:, :, self.columns]  # (B, T, J)
        if self.mode == "last":
            loc, scale = values[:, -1], torch.ones_like(values[:, -1])
        else:
            loc = values.mean(dim=1)
            std = values.std(dim=1, unbiased=False) + EPS
            scale = std if self.mode == "revin" else torch.ones_like(std)
        keep = self.observed  # targets that are not inputs: location 0, scale 1
        return torch.where(keep, loc, 0.0), torch.where(keep, scale, 1.0)

    def normalize(self, x: Tensor) -> tuple[Tensor, Stats]:
        """The window with its target columns normalised, and the statistics to undo it."""
        loc, scale = self.statistics(x)  # (B, J)
        values = (x[:, :, self.columns] - loc[:, None]) / scale[:, None]  # (B, T, J)
        if self.mode == "revin":
            values = values * self.gamma + self.beta
        x = x.clone()
        x[:, :, self.columns[self.observed]] = values[:, :, self.observed]
        return x, (loc, scale)

    def denormalize(self, pred: Tensor, stats: Stats) -> Tensor:
        """The network's forecast back in the window's level: (B, K*J, ...), step-major."""
        trailing = (1,) * (pred.dim() - 2)  # quantile levels share their value's statistics
        loc, scale = (s.repeat(1, self.n_ahead).view(*s.shape[:1], -1, *trailing) for s in stats)
        if self.mode == "revin":
            gamma = self.gamma.repeat(self.n_ahead).view(-1, *trailing)  # (K*J, ...)
            beta = self.beta.repeat(self.n_ahead).view(-1, *trailing)
            pred = (pred - beta) / (gamma + EPS)
        return pred * scale + loc

    def normalize_targets(self, y: Tensor, stats: Stats) -> Tensor:
        """True targets (B, K*J) in the network's units, for teacher forcing."""
        loc, scale = (s.repeat(1, self.n_ahead) for s in stats)  # (B, K*J)
        y = (y - loc) / scale
        if self.mode == "revin":
            y = y * self.gamma.repeat(self.n_ahead) + self.beta.repeat(self.n_ahead)
        return y

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"
