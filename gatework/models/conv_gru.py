"""ConvGRU: a strided Conv1D that shortens the window, then GRUs (Géron, ch. 15)."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from gatework.datamodules.spec import SeriesSpec
from gatework.models.base import ForecastModule
from gatework.models.recurrent import final_hidden
from gatework.models.recurrent_backend import make_head, make_recurrent
from gatework.models.recurrent_options import RecurrentOptions

ACTIVATIONS = ("relu", "none")


class ConvGRU(ForecastModule):
    """Conv1d(stride) -> ReLU -> GRU stack -> final hidden state (or every step) -> Linear.

    ``conv_activation="none"`` leaves the convolution linear, as Géron's ``Conv1D`` (no
    ``activation`` argument) is.

    The strided convolution downsamples the window by ``stride`` (length
    ``T' = (T - kernel_size) // stride + 1``), so the GRUs run over fewer, richer steps and
    keep longer patterns in memory. Its last window always ends at the last input step: when
    ``stride`` does not divide ``T - kernel_size``, the ``(T - kernel_size) % stride`` oldest
    steps are left out instead of the most recent ones.

    With ``sequence`` targets (Géron's Conv1D + GRU, trained on ``Y[:, 3::2]``), output step
    ``t'`` forecasts the targets of the last input step its convolution window reads,
    ``skip + kernel_size - 1 + t'·stride``, so training reads every ``stride``-th row of the
    targets (:meth:`align_targets`), the last one being the last input step's.

    Args:
        spec: the datamodule's window description.
        filters: channels of the convolution.
        kernel_size: taps of the convolution (at most ``input_len``).
        stride: step of the convolution.
        conv_activation: ``"relu"`` or ``"none"`` after the convolution.
        rnn: the recurrent stack (:class:`RecurrentOptions`; a dict is accepted), two GRUs in
            ``configs/model/conv_gru.yaml``.
        **common: what every model takes (``loss``, ``optimizer``, ...): see
            :class:`~gatework.models.base.ForecastModule`.

    Shape:
        forward(x): (B, T, F) -> (B, n_ahead * n_targets), or (B, T', n_ahead * n_targets)
        for sequence targets.
    """

    target_modes = ("vector", "sequence")

    def __init__(
        self,
        spec: SeriesSpec | Mapping,
        filters: int = 32,
        kernel_size: int = 4,
        stride: int = 2,
        conv_activation: str = "relu",
        rnn: RecurrentOptions | Mapping | None = None,
        **common,
    ) -> None:
        super().__init__(spec, **common)
        if stride < 1:
            raise ValueError(f"ConvGRU model.stride must be >= 1, got {stride}")
        if conv_activation not in ACTIVATIONS:
            raise ValueError(
                f"ConvGRU model.conv_activation must be one of {ACTIVATIONS}, got "
                f"{conv_activation!r}"
            )
        self.relu = conv_activation == "relu"
        if kernel_size > self.spec.input_len:
            raise ValueError(
                f"ConvGRU model.kernel_size={kernel_size} exceeds data.input_len="
                f"{self.spec.input_len}: lower the kernel size or lengthen the window"
            )
        self.conv = nn.Conv1d(self.input_size, filters, kernel_size, stride=stride)
        self.skip = (self.spec.input_len - kernel_size) % stride  # oldest steps no window ends on
        options = RecurrentOptions.of(rnn)
        if self.spec.target_mode == "sequence":
            options = options.unidirectional(type(self).__name__)
        self.stride, self.first = stride, self.skip + kernel_size - 1  # input step of output 0
        self.directions = options.directions
        self.gru = make_recurrent(options, filters)
        self.head = make_head(options, self.output_size)

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, self.skip :]  # (B, T - skip, F): the last strided window ends at step T-1
        h = self.conv(x.transpose(1, 2))  # (B, C, T')
        h = (h.relu() if self.relu else h).transpose(1, 2)  # (B, T', C)
        out, state = self.gru(h)  # out (B, T', D*H), state (L*D, B, H)
        if self.spec.target_mode == "sequence":
            return self.head(out)  # (B, T', K*J)
        return self.head(final_hidden(state, self.directions))  # (B, K*J)

    def align_targets(self, y: Tensor) -> Tensor:
        """Sequence targets of the steps the outputs stand for: (B, T, K*J) -> (B, T', K*J)."""
        return y[:, self.first :: self.stride] if y.dim() == 3 else y
