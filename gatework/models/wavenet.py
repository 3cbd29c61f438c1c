"""WaveNet: stacks of causal dilated Conv1D (van den Oord et al. 2016, as in Géron ch. 15)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.causal_conv import CausalConv1d


def receptive_field(kernel_size: int, dilations: Sequence[int]) -> int:
    """Input steps that reach one output step: ``1 + Σ_d (kernel_size - 1) · d``."""
    return 1 + sum((kernel_size - 1) * d for d in dilations)


class WaveNet(ForecastModule):
    """1x1 Conv in -> [h + ReLU(CausalConv_d(h))] for each dilation d -> 1x1 Conv out.

    With ``residual=False`` it is Géron's plain stack (HOML 2nd ed., ch. 15):
    [h = ReLU(CausalConv_d(h))] for each dilation d, the first reading the inputs -> 1x1 Conv out.

    Every layer is causal, so the output at step ``t`` depends on inputs ``<= t`` only and
    the model serves both target modes: ``sequence`` uses every step, ``vector`` the last. The
    receptive field ``1 + Σ (kernel_size - 1)·d`` is stored as ``hparams["receptive_field"]``
    (and ``self.receptive_field``); with ``dilations = 1, 2, 4, ..., 2^(n-1)`` and kernel 2 it
    is ``2^n``. Residual connections keep deep stacks trainable.

    Args:
        spec: the datamodule's window description.
        filters: channels of every hidden layer.
        kernel_size: taps per causal convolution.
        dilations: one causal layer per entry, in order (repeat 1,2,4,... for several stacks).
        require_full_receptive_field: raise when the receptive field is shorter than
            ``input_len`` (otherwise warn: the first steps of the window are never read).
        residual: add each layer's input to its output (False: Géron's plain stack).
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, T, n_ahead * n_targets) for sequence targets,
        (B, n_ahead * n_targets) for vector targets.
    """

    target_modes = ("vector", "sequence")

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        filters: int = 32,
        kernel_size: int = 2,
        dilations: Sequence[int] = (1, 2, 4, 8, 16, 32),
        require_full_receptive_field: bool = False,
        residual: bool = True,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        if kernel_size < 2 or not dilations or min(dilations) < 1:
            raise ValueError(
                "WaveNet needs model.kernel_size >= 2 and a non-empty model.dilations of "
                f"positive integers, got kernel_size={kernel_size}, dilations={list(dilations)}"
            )
        self.receptive_field = receptive_field(kernel_size, dilations)
        self.hparams["receptive_field"] = self.receptive_field
        input_len = self.spec.input_len
        if self.receptive_field < input_len:
            message = (
                f"WaveNet receptive field {self.receptive_field} steps < data.input_len="
                f"{input_len}: add dilations (e.g. model.dilations=[1,2,4,...]), raise "
                "model.kernel_size, or shorten data.input_len"
            )
            if require_full_receptive_field:
                raise ValueError(message)
            warnings.warn(message, stacklevel=2)
        self.residual = residual
        self.input_proj = (
            nn.Conv1d(self.input_size, filters, kernel_size=1) if residual else nn.Identity()
        )
        widths = [filters if residual else self.input_size] + [filters] * (len(dilations) - 1)
        self.layers = nn.ModuleList(
            CausalConv1d(width, filters, kernel_size, dilation=d)
            for width, d in zip(widths, dilations, strict=True)
        )
        self.output_proj = nn.Conv1d(filters, self.output_size, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.input_proj(x.transpose(1, 2))  # (B, C, T)
        for layer in self.layers:
            h = (h + layer(h).relu()) if self.residual else layer(h).relu()  # (B, C, T)
        out = self.output_proj(h).transpose(1, 2)  # (B, T, K*J)
        return out if self.spec.target_mode == "sequence" else out[:, -1]
