"""Fixtures of the explain tests; helpers live in explain_testkit.py."""

import pytest

from gatework.datamodules import SyntheticDataModule


@pytest.fixture(scope="module")
def synthetic() -> SyntheticDataModule:
    """Géron's series, 200 windows of 50 steps (the default window), set up."""
    dm = SyntheticDataModule(n_series=200, splits=[100, 50, 50], batch_size=16)
    dm.setup()
    return dm
