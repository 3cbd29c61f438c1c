"""Windows: Keras-equivalent starts and targets, no target past its split, exact window counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from data_files import write_jena

from gatework.datamodules import CSVDataModule, JenaClimateDataModule, WindowGeometry
from gatework.datamodules.audit import check_split
from gatework.datamodules.splits import RowRange
from gatework.datamodules.windows import WindowDataset, window_starts


def index_csv(path, n_rows: int):
    """Column ``v`` equals the row index and ``w = 1000 + v``: any value names its row."""
    pd.DataFrame(
        {
            "time": pd.date_range("2020-01-01", periods=n_rows, freq="h").strftime(
                "%Y-%m-%d %H:%M"
            ),
            "v": np.arange(n_rows),
            "w": 1000 + np.arange(n_rows),
        }
    ).to_csv(path, index=False)
    return path


def all_batches(dm, split):
    """Every window of a split, in time order (the train loader shuffles)."""
    if split == "train":
        ds = dm.datasets["train"]
        return ds.__getitems__(list(range(len(ds))))
    batches = list({"val": dm.val_dataloader, "test": dm.test_dataloader}[split]())
    return [torch.cat(parts) for parts in zip(*batches, strict=True)]


def keras_recipe(n, sequence_length, sampling_rate, delay, start_index, end_index):
    """Window starts and target rows of Chollet's Jena recipe, from Keras' arithmetic.

    ``timeseries_dataset_from_array(raw[:-delay], targets=raw[delay:], sequence_length,
    sampling_rate, start_index, end_index)``: window ``p`` reads rows ``start_index + p + r*j``
    and its target is ``targets[start_index + p]``, i.e. row ``start_index + p + delay``.
    """
    end_index = n - delay if end_index is None else end_index
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    num_seqs = min(num_seqs, n - delay)  # len(targets)
    starts = start_index + np.arange(num_seqs)
    return starts, starts + delay


def test_keras_docstring_example():
    # data 0..9, sequence_length 3, targets data[3:]: [0, 1, 2] -> 3, ..., [6, 7, 8] -> 9
    data = torch.arange(10.0)[:, None]
    geo = WindowGeometry(input_len=3, horizon=1)
    ds = WindowDataset(data, data, window_starts(geo, 0, 10), geo)
    x, y = ds.__getitems__(list(range(len(ds))))
    assert x[:, :, 0].tolist() == [[s, s + 1, s + 2] for s in range(7)]
    assert y[:, 0].tolist() == [3, 4, 5, 6, 7, 8, 9]


def test_jena_recipe_matches_keras_except_its_leaks(tmp_path):
    n, r, T = 8000, 6, 120
    delay = r * (T + 24 - 1)
    path = write_jena(tmp_path / "jena_climate_2009_2016.csv", n)
    dm = JenaClimateDataModule(path=str(path), scale=False, batch_size=512)
    dm.setup()
    n_train, n_val = int(0.5 * n), int(0.25 * n)
    bounds = {
        "train": (0, n_train),
        "val": (n_train, n_train + n_val),
        "test": (n_train + n_val, None),
    }
    col = dm.spec.input_names.index("T (degC)")  # T (degC) holds the row index
    for split, (start_index, end_index) in bounds.items():
        k_starts, k_targets = keras_recipe(n, T, r, delay, start_index, end_index)
        keep = k_targets < (n if end_index is None else end_index)
        x, y = all_batches(dm, split)
        starts, targets = x[:, 0, col].numpy(), y[:, 0].numpy()
        np.testing.assert_array_equal(x[:, -1, col].numpy(), starts + r * (T - 1))
        np.testing.assert_array_equal(starts[: keep.sum()], k_starts[keep])
        np.testing.assert_array_equal(targets[: keep.sum()], k_targets[keep])
        if split == "test":  # Keras cuts raw[:-delay], so its inputs never read the last rows
            assert keep.all() and len(starts) - len(k_starts) == r * (T - 1)
        else:  # Keras' last windows take targets from the next split: 6 * 24 of them
            assert (~keep).sum() == r * 24 and len(starts) == keep.sum()
    assert len(dm.datasets["train"]) == n_train - delay == 3142  # a window spans delay + 1 rows


CASES = [
    dict(input_len=5, horizon=1, n_ahead=1, target_mode="vector"),
    dict(input_len=4, horizon=3, n_ahead=2, target_mode="vector", sampling_rate=3),
    dict(input_len=6, horizon=2, n_ahead=3, target_mode="sequence"),
    dict(input_len=3, horizon=1, n_ahead=4, target_mode="sequence", sampling_rate=2, stride=5),
    dict(input_len=7, horizon=1, n_ahead=2, target_mode="vector", stride=4, lookback=True),
    dict(input_len=5, horizon=2, n_ahead=3, target_mode="sequence", lookback=True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{v}" for v in c.values()))
@pytest.mark.parametrize("splits", [[0.6, 0.2, 0.2], [50, 30, 40]])
def test_no_target_reaches_its_split_end(tmp_path, case, splits):
    n = 150
    dm = CSVDataModule(
        path=str(index_csv(tmp_path / "index.csv", n)),
        time_column="time",
        targets=["v", "w"],
        scale=False,
        batch_size=7,
        splits=splits,
        **case,
    )
    dm.setup()
    geo, lookback = dm.geometry, case.get("lookback", False)
    for split, rows in dm.ranges.items():
        x, y = all_batches(dm, split)
        B = len(x)
        K = geo.n_ahead
        targets = y.view(B, -1, K, 2)  # (B, 1 or T, K, J), step-major
        v, w = targets[..., 0], targets[..., 1]
        assert torch.equal(w, v + 1000)  # columns stay paired, in target order
        assert v.min() >= rows.start and v.max() < rows.stop, split
        input_lo = 0 if (lookback and split != "train") else rows.start
        assert x[..., 0].min() >= input_lo and x[..., 0].max() < rows.stop, split
        # rows of every window follow the geometry exactly
        s = x[:, 0, 0].long()[:, None]
        assert torch.equal(x[:, :, 0].long(), s + torch.as_tensor(geo.input_offsets))
        offsets = torch.as_tensor(geo.target_offsets)
        expected = s.view(B, *([1] * offsets.dim())) + offsets
        assert torch.equal(v.long(), expected.view(B, -1, K))
        # and no window is missing: all valid starts, every stride-th one
        valid = [
            t
            for t in range(n)
            if t >= input_lo and t + geo.first_target >= rows.start and t + geo.span - 1 < rows.stop
        ]
        assert s[:, 0].tolist() == valid[:: geo.stride]


def test_sequence_row_t_holds_the_steps_after_t():
    data = torch.arange(30.0)[:, None]
    geo = WindowGeometry(input_len=4, horizon=1, n_ahead=3, target_mode="sequence")
    ds = WindowDataset(data, data, window_starts(geo, 0, 30), geo)
    x, y = ds[2]
    assert x[:, 0].tolist() == [2, 3, 4, 5]
    assert y.tolist() == [[3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 8]]
    assert len(ds) == 30 - 7 + 1


def test_known_future_rows_follow_the_targets():
    data = torch.arange(20.0)[:, None]
    geo = WindowGeometry(input_len=3, horizon=2, n_ahead=2)
    ds = WindowDataset(data, data, window_starts(geo, 0, 20), geo, future=-data)
    x, y, x_future = ds.__getitems__([0, 4])
    assert y.tolist() == [[4, 5], [8, 9]]
    assert x_future[..., 0].tolist() == [[-4, -5], [-8, -9]]  # (B, n_ahead, n_future)


@pytest.mark.parametrize("name", ["input_len", "horizon", "n_ahead", "sampling_rate", "stride"])
@pytest.mark.parametrize("value", [0, -2, 1.5])
def test_window_sizes_below_one_are_refused(name, value):
    with pytest.raises(ValueError, match=rf"data\.{name} must be an integer >= 1, got {value}"):
        WindowGeometry(**{"input_len": 3, name: value})


def test_unknown_target_mode_is_refused():
    with pytest.raises(ValueError, match=r"data\.target_mode must be one of .* got 'matrix'"):
        WindowGeometry(input_len=3, target_mode="matrix")


def test_audit_refuses_a_window_that_reads_past_its_split():
    data = torch.arange(20.0)[:, None]
    geo = WindowGeometry(input_len=3, horizon=2)
    rows = RowRange(0, 10)
    ok = WindowDataset(data, data, window_starts(geo, 0, 10), geo)
    audit = check_split("train", rows, ok, input_lo=0)
    assert (audit.first_input, audit.last_input, audit.last_target, audit.windows) == (0, 7, 9, 6)
    leaky = WindowDataset(data, data, np.arange(0, 7), geo)  # start 6 reads its target at row 10
    with pytest.raises(
        RuntimeError, match=r"train targets read rows 4..10, outside the split 0..9"
    ):
        check_split("train", rows, leaky, input_lo=0)
    early = WindowDataset(data, data, np.arange(12, 15), geo)
    with pytest.raises(RuntimeError, match=r"val inputs read rows 12..16, allowed 13..19"):
        check_split("val", RowRange(13, 20), early, input_lo=13)
