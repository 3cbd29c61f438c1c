"""Tiny CSV files with the real files' exact headers and date formats, written in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_files import cta_frame, write_cta, write_jena


@pytest.fixture
def jena_file(tmp_path: Path) -> Path:
    return write_jena(tmp_path / "jena_climate_2009_2016.csv", 4000)


@pytest.fixture
def cta_file(tmp_path: Path) -> Path:
    """Shuffled rows with 5 exact duplicates, like the real export."""
    frame = cta_frame()
    rng = np.random.default_rng(0)
    shuffled = pd.concat([frame, frame.iloc[[10, 400, 900, 901, 1500]]])
    shuffled = shuffled.iloc[rng.permutation(len(shuffled))]
    return write_cta(tmp_path / "CTA_-_Ridership_-_Daily_Boarding_Totals.csv", shuffled)
