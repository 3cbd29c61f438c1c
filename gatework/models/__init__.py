"""Forecasting models as LightningModules, built as ``instantiate(cfg.model, spec=dm.spec)``.

Config names (``configs/model/<name>.yaml``) -> classes: naive -> Naive, seasonal_naive ->
SeasonalNaive, linear -> Linear, dense -> Dense, rnn/lstm/gru -> Recurrent, seq2seq ->
Seq2Seq, encoder_decoder -> EncoderDecoder, conv1d -> Conv1D, cnn_lstm -> CNNLSTM, conv_gru ->
ConvGRU, wavenet -> WaveNet. IterativeForecaster wraps a trained one-step model.
RecurrentOptions is the ``model.rnn`` node every recurrent model builds its stack from.
"""

from gatework.models.base import ForecastModule
from gatework.models.baselines import Naive, SeasonalNaive
from gatework.models.cnn_lstm import CNNLSTM
from gatework.models.conv1d import Conv1D
from gatework.models.conv_gru import ConvGRU
from gatework.models.dense import Dense
from gatework.models.encoder_decoder import EncoderDecoder
from gatework.models.iterative import IterativeForecaster
from gatework.models.linear import Linear
from gatework.models.recurrent import Recurrent
from gatework.models.recurrent_options import RecurrentOptions
from gatework.models.seq2seq import Seq2Seq
from gatework.models.time2vec import Time2Vec
from gatework.models.wavenet import WaveNet

__all__ = [
    "CNNLSTM",
    "Conv1D",
    "ConvGRU",
    "Dense",
    "EncoderDecoder",
    "ForecastModule",
    "IterativeForecaster",
    "Linear",
    "Naive",
    "Recurrent",
    "RecurrentOptions",
    "SeasonalNaive",
    "Seq2Seq",
    "Time2Vec",
    "WaveNet",
]
