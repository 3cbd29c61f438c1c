"""Standard scaling, fit on the training rows only and carried in checkpoints."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


class StandardScaler:
    """Per-column ``(x - mean) / std``, the population std (``ddof=0``, as scikit-learn).

    A column with zero spread keeps std 1, and columns left out of ``fit``'s ``scaled`` mask
    (one-hot encodings) keep mean 0 and std 1. An unfitted scaler is the identity, which is what a
    config with ``scale: false`` gets.

    Args:
        columns: column names, in the order of the arrays it will see.
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.mean = np.zeros(len(self.columns))
        self.std = np.ones(len(self.columns))
        self.fitted = False

    def fit(self, x: np.ndarray, scaled: Sequence[bool] | None = None) -> StandardScaler:
        """Learn mean and std from ``x``: pass the training rows, and only those.

        Args:
            x: training rows. Shape: (N, C).
            scaled: per column, whether to scale it (default all).

        Returns:
            self.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.columns) or len(x) == 0:
            raise ValueError(
                f"scaler expects a non-empty (N, {len(self.columns)}) array for columns "
                f"{self.columns}, got shape {x.shape}"
            )
        mask = np.ones(len(self.columns), bool) if scaled is None else np.asarray(scaled, bool)
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, by column
            mean, std = x.mean(axis=0), x.std(axis=0)
        bad = ~(np.isfinite(mean) & np.isfinite(std)) & mask
        if bad.any():
            c = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"the training rows of column {self.columns[c]!r} give the scaler mean "
                f"{mean[c]:g} and std {std[c]:g}: a NaN or a value too large to square in "
                f"float64 (|x| > 1e154) is among them; check the data for NaN or huge values"
            )
        std[std == 0] = 1.0
        self.mean = np.where(mask, mean, 0.0)
        self.std = np.where(mask, std, 1.0)
        self.fitted = True
        return self

    def divide_by(self, divisor: float, scaled: Sequence[bool] | None = None) -> StandardScaler:
        """Divide by a constant instead of fitting (Géron's ridership: ``series / 1e6``).

        Args:
            divisor: the constant, > 0.
            scaled: per column, whether to divide it (default all).

        Returns:
            self, with mean 0 and std ``divisor`` on the scaled columns.
        """
        mask = np.ones(len(self.columns), bool) if scaled is None else np.asarray(scaled, bool)
        self.mean = np.zeros(len(self.columns))
        self.std = np.where(mask, float(divisor), 1.0)
        self.fitted = True
        return self

    def _stats(self, x, columns: Sequence[str] | None):
        idx = slice(None) if columns is None else [self.columns.index(c) for c in columns]
        mean, std = self.mean[idx], self.std[idx]
        if isinstance(x, torch.Tensor):
            as_x = dict(dtype=x.dtype, device=x.device)
            return torch.as_tensor(mean, **as_x), torch.as_tensor(std, **as_x)
        return mean, std

    def transform(self, x, columns: Sequence[str] | None = None):
        """Scale ``x`` (NumPy or torch, columns last); ``columns`` picks a subset, in order."""
        mean, std = self._stats(x, columns)
        return (x - mean) / std

    def inverse_transform(self, x, columns: Sequence[str] | None = None):
        """Undo :meth:`transform`: back to the original units."""
        mean, std = self._stats(x, columns)
        return x * std + mean

    def state_dict(self) -> dict:
        """Plain lists and strings, safe in a checkpoint."""
        return {
            "columns": list(self.columns),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "fitted": self.fitted,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`; the columns must be the same."""
        if tuple(state["columns"]) != self.columns:
            raise ValueError(
                f"scaler state is for columns {tuple(state['columns'])}, this data has "
                f"{self.columns}; load the checkpoint with the data config it was trained on"
            )
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.std = np.asarray(state["std"], dtype=np.float64)
        self.fitted = bool(state["fitted"])

    def __repr__(self) -> str:
        pairs = ", ".join(
            f"{c}: {m:.6g}±{s:.6g}"
            for c, m, s in zip(self.columns, self.mean, self.std, strict=True)
        )
        return f"StandardScaler({pairs})"
