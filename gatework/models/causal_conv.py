"""CausalConv1d: a Conv1d whose output at step t reads inputs at steps <= t only."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class CausalConv1d(nn.Conv1d):
    """Conv1d with ``(kernel_size - 1) * dilation`` zeros padded on the left only.

    The output keeps the input length and step ``t`` sees steps ``t - (k-1)·d .. t``, so
    nothing after ``t`` leaks in (Keras ``padding="causal"``, WaveNet).

    Args:
        in_channels: input channels C_in.
        out_channels: output channels C_out.
        kernel_size: k.
        dilation: d, spacing between the taps.

    Shape:
        forward(x): (B, C_in, T) -> (B, C_out, T).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_pad = (kernel_size - 1) * dilation

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, (self.left_pad, 0)))  # (B, C_out, T)
