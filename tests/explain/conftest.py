"""Fixtures of the explain tests; helpers live in explain_testkit.py."""

import pytest
import torch

from gatework.datamodules import SyntheticDataModule


@pytest.fixture(scope="module")
def synthetic() -> SyntheticDataModule:
    """Géron's series, 200 windows of 50 steps (the default window), set up."""
    dm = SyntheticDataModule(n_series=200, splits=[100, 50, 50], batch_size=16)
    dm.setup()
    return dm


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread, as explain.py runs (``threads: 1``): these models are small, and two
    threads spin against each other on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
