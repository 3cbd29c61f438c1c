"""Géron's synthetic series: the book's numbers, every target layout, the Hydra configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from gatework.datamodules import SyntheticDataModule, generate_series

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "data"


def everything(dm, split):
    ds = dm.datasets[split]
    return ds.__getitems__(list(range(len(ds))))


def test_defaults_reproduce_the_books_naive_and_linear_errors():
    dm = SyntheticDataModule()
    dm.setup()
    assert [len(d) for d in dm.datasets.values()] == [7000, 2000, 1000]
    x, y = everything(dm, "val")
    assert x.shape == (2000, 50, 1) and y.shape == (2000, 1)
    # Géron, HOML 2nd ed.: naive MSE on the validation set 0.020211367 with np.random.seed(42)
    assert torch.mean((x[:, -1, 0] - y[:, 0]) ** 2).item() == pytest.approx(0.020211367, rel=1e-6)
    xt, yt = everything(dm, "train")  # linear model (least squares): the book reports ~0.004
    a = np.c_[xt[:, :, 0].numpy(), np.ones(7000)]
    w = np.linalg.lstsq(a, yt[:, 0].numpy(), rcond=None)[0]
    mse = np.mean((np.c_[x[:, :, 0].numpy(), np.ones(2000)] @ w - y[:, 0].numpy()) ** 2)
    assert 0.002 < mse < 0.0045
    assert dm.spec.target_mean == (0.0,) and dm.spec.target_std == (1.0,)  # scale: false
    assert "series 7000 step 0 .. series 8999 step 49" in dm.describe()


def test_targets_are_the_steps_after_the_inputs():
    series = generate_series(20, 60, seed=3)  # input_len 50 + n_ahead 10
    vector = SyntheticDataModule(n_series=20, n_ahead=10, splits=[10, 5, 5], seed=3)
    sequence = SyntheticDataModule(
        n_series=20, n_ahead=10, target_mode="sequence", splits=[10, 5, 5], seed=3
    )
    vector.setup()
    sequence.setup()
    x, y = everything(vector, "train")
    np.testing.assert_array_equal(x[:, :, 0].numpy(), series[:10, :50])
    np.testing.assert_array_equal(y.numpy(), series[:10, 50:60])
    xs, ys = everything(sequence, "test")
    assert ys.shape == (5, 50, 10)
    for k in range(10):  # row t holds steps t+1 .. t+10 (Géron's Y[..., k] = series[k+1 : k+51])
        np.testing.assert_array_equal(ys[:, :, k].numpy(), series[15:, k + 1 : k + 51])
    torch.testing.assert_close(ys[:, -1], everything(vector, "test")[1])


def test_seed_and_series_count():
    a, b, c = (SyntheticDataModule(n_series=30, splits=[0.6, 0.2, 0.2], seed=s) for s in (1, 1, 2))
    for dm in (a, b, c):
        dm.setup()
    assert [len(d) for d in a.datasets.values()] == [18, 6, 6]
    assert torch.equal(everything(a, "val")[0], everything(b, "val")[0])
    assert not torch.equal(everything(a, "val")[0], everything(c, "val")[0])
    with pytest.raises(ValueError, match=r"data.n_series must be >= 3"):
        SyntheticDataModule(n_series=2)


def compose_data(name: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(name, overrides=list(overrides))


def test_synthetic_config_loads_in_batches_as_the_spec_says():
    dm = instantiate(compose_data("synthetic", "n_series=100"))
    dm.prepare_data()
    dm.setup("fit")
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (32, 50, 1) and y.shape == (32, 1) and x.dtype == torch.float32
    assert [len(d) for d in dm.datasets.values()] == [70, 20, 10]
    seq = instantiate(
        compose_data("synthetic", "n_series=100", "target_mode=sequence", "n_ahead=10")
    )
    seq.setup()
    assert next(iter(seq.val_dataloader()))[1].shape == (20, 50, 10)


def test_file_configs_instantiate_with_yaml_lists_and_nulls(tmp_path, cta_file, jena_file):
    ridership = instantiate(compose_data("ridership", f"path={cta_file}"))
    ridership.setup()
    assert ridership.spec.input_names == ("rail",) and len(ridership.datasets["val"]) == 95
    jena = instantiate(compose_data("jena", f"path={jena_file}"))
    jena.setup()
    assert jena.spec.n_inputs == 14 and jena.spec.target_names == ("T (degC)",)
    csv = instantiate(
        compose_data(
            "csv",
            f"path={jena_file}",
            "time_column='Date Time'",
            "time_format=%d.%m.%Y %H:%M:%S",
            "targets=['T (degC)','p (mbar)']",
            "inputs=['T (degC)']",
        )
    )
    csv.setup()
    assert csv.spec.target_input_index == (0, None)
    assert len(csv.datasets["train"]) == int(0.7 * 4000) - 24


def test_a_date_split_can_be_replaced_by_fractions_from_the_command_line(cta_file):
    cfg = compose_data("ridership", f"path={cta_file}", "~splits", "+splits=[0.5,0.25,0.25]")
    dm = instantiate(cfg)
    dm.setup()
    assert [len(r) for r in dm.ranges.values()] == [776, 388, 389]  # of 1,553 days


def test_worker_processes_serve_the_same_batches():
    one, two = SyntheticDataModule(n_series=300), SyntheticDataModule(n_series=300, num_workers=2)
    one.setup()
    two.setup()
    for a, b in zip(one.val_dataloader(), two.val_dataloader(), strict=True):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
