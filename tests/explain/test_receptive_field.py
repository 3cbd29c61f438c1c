"""Receptive fields: the Jacobian's span equals 1 + Σ (k − 1)·d·J, and causal means causal."""

import numpy as np
import pytest
import torch
from torch import nn

from gatework.datamodules.spec import SeriesSpec
from gatework.explain.receptive_field import (
    formula_field,
    measure,
    reach_map,
    read_steps,
)
from gatework.models import CNNLSTM, Conv1D, WaveNet

SPEC = SeriesSpec(input_len=50, n_inputs=2, n_targets=1, n_ahead=1, target_input_index=(0,))


@pytest.mark.filterwarnings("ignore:WaveNet receptive field")
@pytest.mark.parametrize(
    ("kernel_size", "dilations"),
    [(2, (1, 2, 4, 8, 16, 32)), (3, (1, 2, 4)), (2, (1, 1, 1)), (4, (1, 3))],
)
def test_wavenet_field_is_one_plus_k_minus_one_times_the_dilations(kernel_size, dilations):
    model = WaveNet(SPEC, filters=4, kernel_size=kernel_size, dilations=list(dilations))
    expected = 1 + (kernel_size - 1) * sum(dilations)
    field = measure(model, SPEC.input_len, windows=8)
    assert field["formula"] == field["measured"] == expected == model.receptive_field
    assert field["forecast_reads"] == expected  # the whole model, not the stack alone
    assert field["causal"]


def test_cnn_lstm_convolution_sees_its_kernel_and_the_lstm_the_rest():
    model = CNNLSTM(SPEC, filters=4, kernel_size=5, rnn={"cell": "lstm", "hidden_size": 3})
    field = measure(model, 50, windows=8)
    assert field["formula"] == field["measured"] == 5
    assert field["causal"] and field["forecast_reads"] == "every step"


def test_conv1d_field_counts_its_poolings():
    model = Conv1D(SPEC, filters=4, kernel_size=5, num_blocks=3, pool_size=2)
    field = measure(model, 50, windows=32)
    # 1 + 4 + (2 − 1) + 4·2 + (2 − 1)·2 + 4·4: each layer after a pooling counts double
    assert field["formula"] == field["measured"] == 32
    assert not field["causal"] and field["forecast_reads"] == "every step"


def test_formula_with_strides():
    layers = [nn.Conv1d(1, 1, 4, stride=2), nn.Conv1d(1, 1, 3, dilation=2)]
    assert formula_field(layers) == 1 + 3 + 2 * 2 * 2


def test_causal_reads_no_future_and_standard_reads_half_of_it():
    layers = [(2, d) for d in (1, 2, 4, 8)]
    assert read_steps(layers, causal=True) == (15, 0)
    before, after = read_steps(layers, causal=False)
    assert before + after + 1 == 16 and after > 0  # the same field, centred
    causal = reach_map(layers, 20, causal=True)
    assert not np.triu(causal, k=1).any()  # no y_t reads an x_s with s > t
    assert np.triu(reach_map(layers, 20, causal=False), k=1).any()


def test_measure_leaves_the_model_untouched():
    with pytest.warns(UserWarning, match="receptive field 4 steps < data.input_len=50"):
        model = WaveNet(SPEC, filters=4, dilations=[1, 2])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    measure(model, 50, windows=4)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert next(model.parameters()).dtype == torch.float32
