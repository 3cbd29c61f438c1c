"""Parameter counts: the textbook's 24 and torch.nn's 27, and the gate multiples."""

import pytest
import torch

from gatework.cells import GRU, LSTM, SimpleRNN
from gatework.explain.parameters import markdown_table, parameter_counts


@pytest.mark.parametrize(
    ("cls", "one_bias", "two_biases"), [(SimpleRNN, 24, 27), (LSTM, 96, 108), (GRU, 72, 81)]
)
def test_seed_example_four_inputs_three_units(cls, one_bias, two_biases):
    (row,) = parameter_counts(cls(4, 3))
    gates = {SimpleRNN: 1, LSTM: 4, GRU: 3}[cls]
    assert (row["W_x"], row["W_h"], row["b"]) == (12 * gates, 9 * gates, 3 * gates)
    assert (row["one bias"], row["torch.nn"]) == (one_bias, two_biases)
    assert row["torch.nn"] == sum(p.numel() for p in cls(4, 3).parameters())
    torch_row = parameter_counts(cls.torch_class(4, 3))[0]
    assert {k: v for k, v in torch_row.items() if k != "layer"} == {
        k: v for k, v in row.items() if k != "layer"
    }


def test_stacked_bidirectional_layers_read_both_directions():
    rows = parameter_counts(torch.nn.LSTM(4, 3, num_layers=2, bidirectional=True))
    assert [r["layer"] for r in rows] == ["l0", "l0_reverse", "l1", "l1_reverse"]
    assert [r["F"] for r in rows] == [4, 4, 6, 6]  # layer 1 reads both directions: 2H
    assert sum(r["torch.nn"] for r in rows) == sum(
        p.numel() for p in torch.nn.LSTM(4, 3, num_layers=2, bidirectional=True).parameters()
    )


def test_layer_norm_gains_are_counted_apart():
    (row,) = parameter_counts(LSTM(4, 3, layer_norm=True))
    total = sum(p.numel() for p in LSTM(4, 3, layer_norm=True).parameters())
    assert row["torch.nn"] == 108 and row["other"] == total - 108 > 0


def test_markdown_table_has_a_row_per_layer():
    table = markdown_table({"SimpleRNN(4 → 3)": parameter_counts(SimpleRNN(4, 3))})
    assert table.startswith("| model | layer | F | H | G | W_x | W_h | b | one bias |")
    assert table.count("\n") == 3  # header, rule, one layer
    assert "| 12 | 9 | 3 | 24 | 6 | 27 |" in table


def test_explain_parameters_adds_the_models_layers_under_torch_names(tmp_path):
    from gatework.datamodules.spec import SeriesSpec
    from gatework.explain.parameters import explain_parameters
    from gatework.models import Recurrent

    spec = SeriesSpec(input_len=8, n_inputs=2, n_targets=1, n_ahead=1)
    model = Recurrent(spec, rnn={"cell": "lstm", "hidden_size": 5, "num_layers": 2})
    tables = explain_parameters(model, 4, 3, tmp_path / "parameters.md")
    rows = tables["Recurrent.rnn"]
    assert [r["layer"] for r in rows] == ["l0", "l1"]
    assert [r["torch.nn"] for r in rows] == [4 * (2 * 5 + 25 + 10), 4 * (5 * 5 + 25 + 10)]
    assert tables["SimpleRNN(4 → 3)"][0]["layer"] == "l0"
    assert "| Recurrent.rnn | l1 | 5 | 5 | 4 |" in (tmp_path / "parameters.md").read_text()


def test_a_projected_lstm_counts_h_units_and_the_projection_apart():
    lstm = torch.nn.LSTM(4, 3, proj_size=2)  # W_hh (12, 2), W_hr (2, 3)
    (row,) = parameter_counts(lstm)
    assert (row["H"], row["G"], row["W_h"], row["other"]) == (3, 4, 4 * 3 * 2, 2 * 3)
    assert row["torch.nn"] + row["other"] == sum(p.numel() for p in lstm.parameters()) == 102


def test_gatework_only_layers_are_named_as_torch_names_them():
    layer = LSTM(4, 3, num_layers=2, bidirectional=True, layer_norm=True)
    rows = parameter_counts(layer)
    assert [r["layer"] for r in rows] == ["l0", "l0_reverse", "l1", "l1_reverse"]
    assert sum(r["torch.nn"] + r["other"] for r in rows) == sum(
        p.numel() for p in layer.parameters()
    )
