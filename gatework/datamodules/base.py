"""The base datamodule: wires the three stages (split by time, scale, cut windows) together.

Subclasses only say where the table comes from (:meth:`SeriesDataModule.load_table`, and
``prepare_data`` when there is something to download); every datamodule therefore splits, scales
and windows in exactly the same way, and :meth:`SeriesDataModule.describe` prints the same audit.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import lightning as L
import numpy as np
import pandas as pd
from torch.utils.data import DataLoader

from gatework.datamodules.audit import SplitAudit, check_split, format_audit
from gatework.datamodules.naive_scale import seasonal_naive_mae
from gatework.datamodules.scaler import StandardScaler
from gatework.datamodules.spec import SeriesSpec
from gatework.datamodules.splits import SPLIT_NAMES, RowRange, split_rows
from gatework.datamodules.table import Table
from gatework.datamodules.windows import WindowDataset, WindowGeometry, collate_batch, window_starts


def plain(value):
    """OmegaConf containers (what Hydra passes by default) to plain lists and dicts."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def names(value, option: str) -> list[str] | None:
    """A column option (one name or a list of names) as a list; None stays None."""
    value = plain(value)
    if isinstance(value, str):
        value = [value]
    if value is None:
        return value
    if not isinstance(value, list):
        raise ValueError(f"data.{option} must be a column name or a list of names, got {value!r}")
    repeated = [v for i, v in enumerate(value) if v in value[:i]]
    if repeated:
        raise ValueError(f"data.{option} names {repeated[0]!r} twice ({value}); list it once")
    return value


class SeriesDataModule(L.LightningDataModule):
    """Leakage-free windows over one table, split by time.

    Args:
        input_len: input steps per window.
        horizon: steps from the last input step to the first target step.
        n_ahead: consecutive target steps per window.
        target_mode: ``"vector"`` or ``"sequence"`` (see :mod:`gatework.datamodules.spec`).
        sampling_rate: rows per step.
        stride: rows between window starts.
        splits: fractions, row counts or date bounds (see :mod:`gatework.datamodules.splits`).
        lookback: whether validation/test inputs may read rows before their split (targets never
            do); training windows always stay inside the training split.
        scale: standard-scale with statistics of the training rows (False: identity scaler; a
            number: divide every scaled column by it, as Géron's ridership ``/ 1e6``).
        period: season length in sampled steps of the in-sample seasonal naive forecast that
            scales MASE (1: the naive forecast; 7 for weekly seasons in daily data).
        batch_size: windows per batch.
        num_workers: DataLoader worker processes.
    """

    single_series = True  # one series in time order: a backtest can move its origin along it

    def __init__(
        self,
        input_len: int,
        horizon: int = 1,
        n_ahead: int = 1,
        target_mode: str = "vector",
        sampling_rate: int = 1,
        stride: int = 1,
        splits: Sequence | Mapping = (0.7, 0.15, 0.15),
        lookback: bool = False,
        scale: bool | float = True,
        period: int = 1,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.geometry = WindowGeometry(
            input_len, horizon, n_ahead, target_mode, sampling_rate, stride
        )
        self.splits = plain(splits)
        self.lookback = bool(lookback)
        if not isinstance(scale, (bool, int, float)) or (
            not isinstance(scale, bool) and not scale > 0
        ):
            raise ValueError(
                f"data.scale must be true (standard scaling), false (none) or a positive "
                f"number to divide by (e.g. 1e6), got {scale!r}"
            )
        self.scale = scale
        self.period = period
        if batch_size < 1 or num_workers < 0:
            raise ValueError(
                f"data.batch_size must be >= 1 and data.num_workers >= 0, "
                f"got {batch_size} and {num_workers}"
            )
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.spec: SeriesSpec | None = None
        self.scaler: StandardScaler | None = None
        self.table: Table | None = None
        self.ranges: dict[str, RowRange] = {}
        self.datasets: dict[str, WindowDataset] = {}
        self.split_audits: dict[str, SplitAudit] = {}  # what each split's windows read
        self.scaler_rows: RowRange | None = None  # the rows the scaler was fit on
        self._values: np.ndarray | None = None
        self._audit = ""
        self._pending_state: dict | None = None
        self._daily: bool | None = None

    # --- what subclasses provide -------------------------------------------------------------
    def load_table(self) -> Table:
        """Read and clean the data; called once by :meth:`setup`."""
        raise NotImplementedError

    def split_ranges(self, index: pd.Index) -> dict[str, RowRange]:
        """Rows of each split (default: from ``splits``)."""
        return split_rows(index, self.splits)

    def starts(self, name: str, rows: RowRange) -> tuple[np.ndarray, int]:
        """Window starts of one split and the earliest row its inputs may read."""
        input_lo = 0 if (self.lookback and name != "train") else rows.start
        return window_starts(self.geometry, rows.start, rows.stop, input_lo), input_lo

    def label(self, row: int) -> str:
        """How the audit names a row: its timestamp, or its number."""
        index = self.table.frame.index
        if not isinstance(index, pd.DatetimeIndex):
            return f"row {row}"
        if self._daily is None:  # dates alone when every timestamp is a midnight
            self._daily = bool((index == index.normalize()).all())
        return str(index[row].date()) if self._daily else str(index[row])

    # --- the three stages ----------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        """Split by time, fit the scaler on training rows, cut windows inside each split."""
        if self.datasets:
            return
        table = self.load_table()
        columns = list(dict.fromkeys([*table.inputs, *table.targets, *table.future]))
        self.table = table
        self._values = table.frame[columns].to_numpy(np.float64)  # (N, C)
        self.ranges = self.split_ranges(table.frame.index)
        self.scaler = StandardScaler(columns)
        self._fit_scaler()
        self._build()

    def resplit(self, ranges: Mapping[str, RowRange], lookback: bool) -> SeriesDataModule:
        """A copy of this set-up datamodule split at other rows (a backtest fold).

        The table is shared, not read again; the copy has its own splits, its own scaler fit
        on its own training rows only, its own windows and audit.

        Args:
            ranges: the rows of ``"train"``, ``"val"`` and ``"test"``, in time order.
            lookback: whether validation/test inputs may read rows before their split.

        Returns:
            The new datamodule, set up.
        """
        if not self.datasets:
            raise RuntimeError(f"{type(self).__name__}.resplit() needs setup() to run first")
        fold = copy.copy(self)
        fold.ranges, fold.lookback = dict(ranges), bool(lookback)
        fold.datasets, fold.split_audits, fold._pending_state = {}, {}, None
        fold.scaler = StandardScaler(self.scaler.columns)
        fold._fit_scaler()
        fold._build()
        return fold

    def _fit_scaler(self) -> None:
        """Load the checkpoint's statistics, or fit on the training rows only (``scale=true``)."""
        self.scaler_rows = None
        if self._pending_state is not None:
            self.scaler.load_state_dict(self._pending_state)
        elif self.scale is True:
            train = self.ranges["train"]
            unscaled = self.table.unscaled
            self.scaler.fit(
                self._values[train.start : train.stop],
                [c not in unscaled for c in self.scaler.columns],
            )
            self.scaler_rows = train
        elif self.scale is not False:
            divisor, unscaled = float(self.scale), self.table.unscaled
            self.scaler.divide_by(divisor, [c not in unscaled for c in self.scaler.columns])

    def _build(self) -> None:
        table, scaler, geo = self.table, self.scaler, self.geometry
        scaled = scaler.transform(self._values).astype(np.float32)  # (N, C)
        idx_in = [scaler.columns.index(c) for c in table.inputs]
        idx_tg = [scaler.columns.index(c) for c in table.targets]
        idx_fu = [scaler.columns.index(c) for c in table.future]
        x, y = scaled[:, idx_in], scaled[:, idx_tg]  # (N, F), (N, J)
        future = scaled[:, idx_fu] if idx_fu else None  # (N, P)
        audits, datasets = [], {}
        for name in SPLIT_NAMES:
            rows = self.ranges[name]
            starts, input_lo = self.starts(name, rows)
            if len(starts) == 0:
                need = geo.span if input_lo == rows.start else geo.span - geo.first_target
                raise ValueError(
                    f"the {name} split has {len(rows)} rows ({self.label(rows.start)} .. "
                    f"{self.label(rows.stop - 1)}), one window needs {need}"
                    f" (input_len={geo.input_len}, sampling_rate={geo.sampling_rate}, "
                    f"horizon={geo.horizon}, n_ahead={geo.n_ahead}); shorten the window or "
                    "widen data.splits"
                )
            datasets[name] = WindowDataset(x, y, starts, geo, future)
            audits.append(check_split(name, rows, datasets[name], input_lo))
        self.datasets = datasets  # only once every split has its windows
        self.split_audits = {audit.name: audit for audit in audits}
        naive_mae = seasonal_naive_mae(self._values[:, idx_tg], datasets["train"], self.period)
        self.spec = SeriesSpec(
            input_len=geo.input_len,
            n_inputs=len(table.inputs),
            n_targets=len(table.targets),
            n_ahead=geo.n_ahead,
            target_mode=geo.target_mode,
            horizon=geo.horizon,
            input_names=tuple(table.inputs),
            target_names=tuple(table.targets),
            target_input_index=tuple(
                table.inputs.index(t) if t in table.inputs else None for t in table.targets
            ),
            target_mean=tuple(float(v) for v in scaler.mean[idx_tg]),
            target_std=tuple(float(v) for v in scaler.std[idx_tg]),
            n_future=len(table.future),
            mase_scale=tuple(float(v) for v in naive_mae),
        )
        self._audit = format_audit(self._header(), audits, self._scaler_line(), self.label)

    def _header(self) -> list[str]:
        geo, n = self.geometry, len(self.table.frame)
        return [
            f"data: {type(self).__name__} from {self.table.source}",
            f"table: {n:,} rows, {self.label(0)} .. {self.label(n - 1)}",
            *(f"  {note}" for note in self.table.notes),
            f"inputs: {self.table.inputs}; targets: {self.table.targets}",
            *(
                [f"x_future, read at the target rows: {self.table.future}"]
                if self.table.future
                else []
            ),
            f"windows: input_len={geo.input_len} sampling_rate={geo.sampling_rate} "
            f"horizon={geo.horizon} n_ahead={geo.n_ahead} target_mode={geo.target_mode} "
            f"stride={geo.stride} lookback={str(self.lookback).lower()}",
        ]

    def _scaler_line(self) -> str:
        if self._pending_state is not None:
            return f"scaler: loaded from a checkpoint: {self.scaler!r}"
        if not self.scaler.fitted:
            return "scaler: none (scale=false), values in original units"
        if self.scale is not True:
            divisor = float(self.scale)
            return f"scaler: every scaled column divided by {divisor:g} (data.scale), no statistics"
        train = self.scaler_rows
        return (
            f"scaler: fit on train rows only, {self.label(train.start)} .. "
            f"{self.label(train.stop - 1)} ({len(train):,} rows): {self.scaler!r}"
        )

    def describe(self) -> str:
        """The leakage audit: per split, rows read by inputs and targets, windows, scaler rows."""
        if not self.datasets:
            raise RuntimeError(f"{type(self).__name__}.describe() needs setup() to run first")
        return self._audit

    # --- loaders and checkpoint state ------------------------------------------------------------
    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        if name not in self.datasets:
            self.setup()
        return DataLoader(
            self.datasets[name],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=collate_batch,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def state_dict(self) -> dict:
        """The fitted scaler, saved in checkpoints so predictions map back to original units."""
        return {"scaler": self.scaler.state_dict()} if self.scaler is not None else {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Use a checkpoint's scaler instead of refitting (re-scales windows if already set up)."""
        if "scaler" not in state_dict:
            return
        if self.scaler is not None and self.scaler.state_dict() == state_dict["scaler"]:
            return  # the same statistics: nothing to redo
        self._pending_state = state_dict["scaler"]
        if self.scaler is not None:
            self.scaler.load_state_dict(self._pending_state)
            self.datasets = {}
            self._build()
