"""The public layers: SimpleRNN, LSTM and GRU, with torch.nn's constructors and shapes."""

from __future__ import annotations

from torch import nn

from gatework.cells.gru import GRUCell
from gatework.cells.lstm import LSTMCell
from gatework.cells.simple_rnn import SimpleRNNCell
from gatework.cells.stack import RecurrentStack

_ARGS = """
    Args:
        input_size: F, features per time step.
        hidden_size: H, units per direction.
        num_layers: L, stacked layers; layer k > 0 reads the D·H outputs of layer k − 1.
        bias: use ``bias_ih`` and ``bias_hh`` (torch.nn's two-bias layout).
        batch_first: x and out are (B, T, ·) (default here; torch.nn defaults to False).
        dropout: dropout on the outputs of every layer but the last, in training, in [0, 1).
        bidirectional: D = 2, a second recurrence reads the sequence backwards.
        recurrent_dropout: dropout on h_prev before the recurrent matmul, one mask per
            sequence reused at every step (Gal & Ghahramani 2016), in training, in [0, 1).
        layer_norm: layer-normalise the input and recurrent projections (Ba et al. 2016).
        fast: run the fast kernel (``gatework.cells.fast``) where it covers the cell; False
            always runs the cells' textbook ``step`` with autograd (same numbers, slower).
"""

_SHAPE = """
    Shape:
        ``out, state = layer(x, state=None)`` with x (B, T, F), out (B, T, D·H) and state
        h_n (L·D, B, H){lstm}, exactly like torch.nn.
"""


class SimpleRNN(RecurrentStack):
    __doc__ = (
        "Elman RNN layer, a drop-in for ``torch.nn.RNN`` (see ``SimpleRNNCell`` for the math).\n\n"
        "    Parameters: torch.nn's layout, F·H + H·H + 2H per layer and direction (27 for F=4,\n"
        "    H=3); textbooks count one bias, F·H + H·H + H = 24, because b_ih + b_hh act as one.\n"
        + _ARGS
        + '        nonlinearity: ``"tanh"`` or ``"relu"``.\n'
        + _SHAPE.format(lstm="")
    )

    cell_class = SimpleRNNCell
    torch_class = nn.RNN
    torch_options = ("nonlinearity",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        recurrent_dropout: float = 0.0,
        layer_norm: bool = False,
        nonlinearity: str = "tanh",
        fast: bool = True,
    ):
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            recurrent_dropout,
            layer_norm,
            fast,
            nonlinearity=nonlinearity,
        )

    @property
    def nonlinearity(self) -> str:
        """``"tanh"`` or ``"relu"``, read from the cells; setting it sets every cell's."""
        found = {direction.cell.nonlinearity for _, direction in self.directions()}
        if len(found) > 1:
            raise ValueError(
                f"the cells of this SimpleRNN disagree ({sorted(found)}): set the layer's "
                "nonlinearity to give every cell the same"
            )
        return found.pop()

    @nonlinearity.setter
    def nonlinearity(self, value: str) -> None:
        for _, direction in self.directions():
            direction.cell.nonlinearity = value  # checks the value


class LSTM(RecurrentStack):
    __doc__ = (
        "LSTM layer, a drop-in for ``torch.nn.LSTM`` (see ``LSTMCell`` for the math).\n\n"
        "    Parameters: 4× those of SimpleRNN (gates i, f, g, o stacked in each weight).\n"
        + _ARGS
        + "        forget_bias: start b_f at this value (Keras' unit_forget_bias: 1.0), or None.\n"
        "        peephole: the gates also see the cell (Gers & Schmidhuber 2000).\n"
        "        proj_size: P > 0 projects h_t to P units (LSTMP), as torch.nn's proj_size.\n"
        + _SHAPE.format(lstm=", or (h_n, c_n) with h_n (L·D, B, P or H), c_n (L·D, B, H)")
    )

    cell_class = LSTMCell
    torch_class = nn.LSTM
    torch_options = ("proj_size",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        recurrent_dropout: float = 0.0,
        layer_norm: bool = False,
        forget_bias: float | None = None,
        peephole: bool = False,
        proj_size: int = 0,
        fast: bool = True,
    ):
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            recurrent_dropout,
            layer_norm,
            fast,
            forget_bias=forget_bias,
            peephole=peephole,
            proj_size=proj_size,
        )


class GRU(RecurrentStack):
    __doc__ = (
        "GRU layer, a drop-in for ``torch.nn.GRU`` (see ``GRUCell`` for the math).\n\n"
        "    Parameters: 3× those of SimpleRNN (gates r, z, n stacked in each weight).\n"
        + _ARGS
        + "        reset_after: True is torch.nn's/cuDNN's GRU; False is Cho et al. 2014's\n"
        "            textbook form (reset before the matmul): different numbers, see GRUCell.\n"
        + _SHAPE.format(lstm="")
    )

    cell_class = GRUCell
    torch_class = nn.GRU

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        recurrent_dropout: float = 0.0,
        layer_norm: bool = False,
        reset_after: bool = True,
        fast: bool = True,
    ):
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            recurrent_dropout,
            layer_norm,
            fast,
            reset_after=reset_after,
        )
