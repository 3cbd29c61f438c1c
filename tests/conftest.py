"""Shared fixtures: real data from ../shared (skipped when absent) and a CPU-only, seeded world."""

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CTA_FILE = SHARED_DATA / "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"


@pytest.fixture(autouse=True)
def _seeded():
    """Each test starts from the same random state, on float32 defaults."""
    torch.manual_seed(0)
    yield


@pytest.fixture
def cta_csv() -> Path:
    """The real CTA ridership file, when ../shared/data holds it."""
    if not CTA_FILE.exists():
        pytest.skip(f"real CTA file not found at {CTA_FILE}")
    return CTA_FILE
