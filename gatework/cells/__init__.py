"""Recurrent cells written from their gate equations, and layers built from them.

``SimpleRNN``, ``LSTM`` and ``GRU`` take torch.nn's constructor arguments (batch first by
default) plus ``recurrent_dropout``, ``layer_norm`` and ``fast``, and return torch.nn's shapes:
``out, state = layer(x, state=None)``. ``from_torch``/``to_torch`` move weights both ways.
Each cell's ``step`` (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``) holds its equations, one line
each; ``gatework.cells.fast`` holds the faster form the layers run where it applies.
"""

from gatework.cells.base import RecurrentCell
from gatework.cells.gru import GRUCell
from gatework.cells.layers import GRU, LSTM, SimpleRNN
from gatework.cells.lstm import LSTMCell
from gatework.cells.simple_rnn import SimpleRNNCell
from gatework.cells.stack import RecurrentStack
from gatework.cells.tracing import trace_gates

__all__ = [
    "GRU",
    "LSTM",
    "GRUCell",
    "LSTMCell",
    "RecurrentCell",
    "RecurrentStack",
    "SimpleRNN",
    "SimpleRNNCell",
    "trace_gates",
]
