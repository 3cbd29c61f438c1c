"""Géron's synthetic series (HOML 2nd ed., chapter 15): the default data, no files needed.

Each series has ``L = input_len + horizon + n_ahead - 1`` points at ``t`` evenly spaced in [0, 1]:

    x(t) = 0.5 sin((t - offset1)(10 freq1 + 10)) + 0.2 sin((t - offset2)(20 freq2 + 20))
           + 0.1 (u(t) - 0.5),        freq1, freq2, offset1, offset2, u(t) ~ U[0, 1)

drawn with ``numpy.random.RandomState(seed)`` in Géron's order, so ``seed=42`` with the defaults
reproduces the book's arrays. One series is one window: inputs are steps 0..input_len-1, targets
the ``n_ahead`` steps from ``input_len - 1 + horizon`` on (``"vector"``), or after every input
step (``"sequence"``: step t carries t+horizon .. t+horizon+n_ahead-1, as in the book's seq2seq
section). Splits count series (the book: 7,000 / 2,000 / 1,000). Published validation MSE on the
next value: naive (last value) about 0.020, linear about 0.004, a deep RNN about 0.003.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gatework.datamodules.base import SeriesDataModule
from gatework.datamodules.splits import RowRange, split_rows
from gatework.datamodules.table import Table


def generate_series(n_series: int, n_steps: int, seed: int = 42) -> np.ndarray:
    """Géron's ``generate_time_series``, seeded.

    Args:
        n_series: number of independent series.
        n_steps: points per series.
        seed: seed of the ``RandomState`` drawing frequencies, offsets and noise.

    Returns:
        float32 array. Shape: (n_series, n_steps).
    """
    rng = np.random.RandomState(seed)
    freq1, freq2, offset1, offset2 = rng.rand(4, n_series, 1)  # each (S, 1)
    t = np.linspace(0, 1, n_steps)  # (L,)
    x = 0.5 * np.sin((t - offset1) * (freq1 * 10 + 10))  # (S, L)
    x += 0.2 * np.sin((t - offset2) * (freq2 * 20 + 20))
    x += 0.1 * (rng.rand(n_series, n_steps) - 0.5)
    return x.astype(np.float32)


class SyntheticDataModule(SeriesDataModule):
    """Many short independent series; each is exactly one window.

    Args:
        n_series: series to draw.
        input_len: input steps (the book: 50).
        horizon: steps from the last input to the first target.
        n_ahead: target steps (1 or 10 in the book).
        target_mode: ``"vector"`` or ``"sequence"``.
        splits: series per split, as fractions (default: 7,000 / 2,000 / 1,000 of 10,000) or
            counts; dates make no sense here.
        seed: generator seed.
        scale: standard-scale with training statistics (default False: the book's raw values,
            so losses compare with its MSEs directly).
        period: season length in steps for MASE's scale (1: the naive forecast's error).
        batch_size: windows per batch.
        num_workers: DataLoader worker processes.
    """

    single_series = False  # independent series, one window each: no rolling origin to move

    def __init__(
        self,
        n_series: int = 10_000,
        input_len: int = 50,
        horizon: int = 1,
        n_ahead: int = 1,
        target_mode: str = "vector",
        splits: Sequence | Mapping = (0.7, 0.2, 0.1),
        seed: int = 42,
        scale: bool | float = False,
        period: int = 1,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            input_len=input_len,
            horizon=horizon,
            n_ahead=n_ahead,
            target_mode=target_mode,
            splits=splits,
            scale=scale,
            period=period,
            batch_size=batch_size,
            num_workers=num_workers,
        )
        if n_series < 3:
            raise ValueError(f"data.n_series must be >= 3 (one per split), got {n_series}")
        self.n_series = n_series
        self.seed = seed
        self.length = input_len + horizon + n_ahead - 1  # L, points per series

    def load_table(self) -> Table:
        series = generate_series(self.n_series, self.length, self.seed)  # (S, L)
        frame = pd.DataFrame({"x": series.reshape(-1)})  # (S*L, 1), series after series
        return Table(
            frame,
            ["x"],
            ["x"],
            notes=[f"{self.n_series:,} series of {self.length} steps, one window each"],
            source=f"generate_series(n_series={self.n_series}, n_steps={self.length}, "
            f"seed={self.seed})",
        )

    def split_ranges(self, index: pd.Index) -> dict[str, RowRange]:
        L = self.length
        by_series = split_rows(pd.RangeIndex(self.n_series), self.splits)
        return {k: RowRange(r.start * L, r.stop * L) for k, r in by_series.items()}

    def starts(self, name: str, rows: RowRange) -> tuple[np.ndarray, int]:
        return np.arange(rows.start, rows.stop, self.length, dtype=np.int64), rows.start

    def label(self, row: int) -> str:
        return f"series {row // self.length} step {row % self.length}"
