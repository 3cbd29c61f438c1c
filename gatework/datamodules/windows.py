"""Lazy sliding windows over a (N, C) table: index arithmetic, never materialised copies.

A window is fully described by its start row ``s``. With ``r = sampling_rate``, ``T = input_len``,
``h = horizon`` and ``K = n_ahead``:

* input step ``t`` (0 <= t < T) reads row ``s + r*t``;
* in ``"vector"`` mode the targets are rows ``s + r*(T - 1) + r*(h + k)`` for 0 <= k < K;
* in ``"sequence"`` mode input step ``t`` carries rows ``s + r*t + r*(h + k)`` for 0 <= k < K.

So ``data = 0..9, input_len=3, horizon=1`` gives ``[0, 1, 2] -> 3, [1, 2, 3] -> 4, ...``: the
windows of Keras' ``timeseries_dataset_from_array(data, targets=data[3:], sequence_length=3)``.
Which starts are allowed (inside a split, with or without lookback) is :func:`window_starts`'s job;
the dataset only turns starts into tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from gatework.datamodules.spec import TARGET_MODES


@dataclass(frozen=True)
class WindowGeometry:
    """Where a window's inputs and targets sit relative to its start row.

    Args:
        input_len: T, input steps per window.
        horizon: sampled steps from the last input step to the first target step.
        n_ahead: K, consecutive target steps.
        target_mode: ``"vector"`` (targets after the last input step only) or ``"sequence"``
            (targets after every input step).
        sampling_rate: r, rows between two consecutive steps (6: hourly from 10-minute rows).
        stride: rows between two consecutive window starts.
    """

    input_len: int
    horizon: int = 1
    n_ahead: int = 1
    target_mode: str = "vector"
    sampling_rate: int = 1
    stride: int = 1

    def __post_init__(self) -> None:
        for name in ("input_len", "horizon", "n_ahead", "sampling_rate", "stride"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"data.{name} must be an integer >= 1, got {value!r}; set data.{name}=1 or more"
                )
        if self.target_mode not in TARGET_MODES:
            raise ValueError(
                f"data.target_mode must be one of {TARGET_MODES}, got {self.target_mode!r}"
            )

    @property
    def input_offsets(self) -> np.ndarray:
        """Row offsets of the input steps from the start row. Shape: (T,)."""
        return self.sampling_rate * np.arange(self.input_len)

    @property
    def target_offsets(self) -> np.ndarray:
        """Row offsets of the targets from the start row.

        Shape: (K,) in ``"vector"`` mode, (T, K) in ``"sequence"`` mode.
        """
        ahead = self.sampling_rate * (self.horizon + np.arange(self.n_ahead))  # (K,)
        if self.target_mode == "vector":
            return self.input_offsets[-1] + ahead  # (K,)
        return self.input_offsets[:, None] + ahead[None, :]  # (T, K)

    @property
    def first_target(self) -> int:
        """Offset of the earliest row any target of a window reads."""
        return int(self.target_offsets.min())

    @property
    def span(self) -> int:
        """Rows from a window's start to its last target row, both included."""
        return int(self.target_offsets.max()) + 1


def window_starts(
    geometry: WindowGeometry, lo: int, hi: int, input_lo: int | None = None
) -> np.ndarray:
    """Start rows of every window whose targets lie in ``[lo, hi)``.

    Args:
        geometry: the window layout.
        lo: first row of the split; no target reads a row before it.
        hi: end of the split (exclusive); no target, and no input, reads row ``hi`` or later.
        input_lo: earliest row an input may read; ``lo`` (default) keeps the whole window in the
            split, a smaller value lets inputs look back into earlier rows.

    Returns:
        Start rows, increasing by ``geometry.stride``, int64. Shape: (W,).
    """
    input_lo = lo if input_lo is None else input_lo
    first = max(input_lo, lo - geometry.first_target)
    last = hi - geometry.span  # the last target row of this start is hi - 1
    if last < first:
        return np.zeros(0, dtype=np.int64)
    return np.arange(first, last + 1, geometry.stride, dtype=np.int64)


class WindowDataset(Dataset):
    """Windows over shared (N, F) inputs and (N, J) targets, built on demand from start rows.

    ``dataset[i]`` is one sample; ``dataset.__getitems__(indices)`` builds a whole batch with one
    gather per array (PyTorch's DataLoader calls it when the dataset defines it; pair it with
    :func:`collate_batch`). The gathers use ``numpy.take``, several times faster than torch's
    advanced indexing on CPU for these shapes.

    Args:
        inputs: the scaled input columns, float32. Shape: (N, F).
        targets: the scaled target columns, float32. Shape: (N, J).
        starts: start row of each window. Shape: (W,).
        geometry: the window layout.
        future: known-future covariates read at the target rows (vector layout). Shape: (N, P).

    Returns (per sample, batched by ``__getitems__``):
        ``(x, y)`` or ``(x, y, x_future)`` as described in :mod:`gatework.datamodules.spec`.
    """

    def __init__(
        self,
        inputs: np.ndarray | torch.Tensor,
        targets: np.ndarray | torch.Tensor,
        starts: np.ndarray,
        geometry: WindowGeometry,
        future: np.ndarray | torch.Tensor | None = None,
    ) -> None:
        self.inputs = _array(inputs)
        self.targets = _array(targets)
        self.future = None if future is None else _array(future)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.geometry = geometry
        self._in_off = geometry.input_offsets  # (T,)
        self._tg_off = geometry.target_offsets  # (K,) or (T, K)
        self._fut_off = geometry.input_offsets[-1] + geometry.sampling_rate * (
            geometry.horizon + np.arange(geometry.n_ahead)
        )  # (K,)

    def __len__(self) -> int:
        return len(self.starts)

    def input_rows(self, index) -> np.ndarray:
        """Rows read by the inputs of windows ``index``. Shape: (B, T)."""
        return self.starts[np.asarray(index)][:, None] + self._in_off

    def target_rows(self, index) -> np.ndarray:
        """Rows read by the targets of windows ``index``. Shape: (B, K) or (B, T, K)."""
        s = self.starts[np.asarray(index)]
        return s.reshape(-1, *([1] * self._tg_off.ndim)) + self._tg_off

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        index = np.asarray(indices, dtype=np.int64)
        B = len(index)
        x = np.take(self.inputs, self.input_rows(index), axis=0)  # (B, T, F)
        y = np.take(self.targets, self.target_rows(index), axis=0)  # (B, K, J) or (B, T, K, J)
        if self.geometry.target_mode == "vector":
            y = y.reshape(B, -1)  # (B, K*J), step-major
        else:
            y = y.reshape(B, self.geometry.input_len, -1)  # (B, T, K*J), step-major
        batch = (torch.from_numpy(x), torch.from_numpy(y))
        if self.future is None:
            return batch
        rows = self.starts[index][:, None] + self._fut_off  # (B, K)
        return (*batch, torch.from_numpy(np.take(self.future, rows, axis=0)))  # x_future (B, K, P)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        return tuple(t[0] for t in self.__getitems__([int(i)]))


def _array(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """A C-contiguous float32 NumPy view (or copy) of a table."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.ascontiguousarray(values, dtype=np.float32)


def collate_batch(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """DataLoader ``collate_fn`` for :class:`WindowDataset`: the batch is already built."""
    return batch
