"""Forecasts from a trained run, in original units: ``Forecaster.load(run_dir).predict(frame)``.

A checkpoint written by ``train.py`` carries the run's config and fitted scaler
(:mod:`gatework.training.checkpoint_record`), so a run folder or a ``.ckpt`` file is all that is
needed. New data goes through the training data's own cleaning (time column, policies, derived
columns such as the ridership day types), is scaled with the training scaler, and the forecasts
come back in original units with their timestamps:

* ``predict(frame)``: the ``n_ahead`` steps after the frame's last row;
* ``predict(frame, windows=True)``: every window of the frame, its forecast beside the truth.

Both carry the run's intervals: a quantile model's levels (``<target>_q0.1``, ...) and, where
the run calibrated them (``eval.intervals.coverage``, kept in ``conformal.json`` in its folder),
the split-conformal interval (``<target>_lower_80``, ``<target>_upper_80`` for 80%).

A frame whose columns differ from the training file's is refused, naming the missing and extra
columns. From the command line: ``python predict.py ckpt=<run dir> data.path=<csv>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from hydra.utils import get_class, instantiate

from gatework.datamodules import CSVDataModule, SeriesSpec, StandardScaler, WindowDataset
from gatework.datamodules.csv_reader import read_raw_csv
from gatework.datamodules.timestamps import regular_frequency
from gatework.datamodules.windows import WindowGeometry, window_starts
from gatework.models import ForecastModule
from gatework.training.checkpoint_record import read_record
from gatework.training.forecasts import window_quantiles
from gatework.training.intervals import ConformalIntervals

BATCH = 512


def checkpoint_file(path: str | Path) -> Path:
    """A run folder's best checkpoint (else its last), or ``path`` itself when it is a file."""
    path = Path(path).expanduser()
    if path.is_file():
        return path
    for name in ("best.ckpt", "last.ckpt"):
        if (path / "checkpoints" / name).is_file():
            return path / "checkpoints" / name
    raise FileNotFoundError(
        f"{path} holds no checkpoints/best.ckpt or last.ckpt: pass a training run's folder "
        "(outputs/runs/<date>_<time>) or a .ckpt file; baselines such as model=naive are not "
        "trained and leave no checkpoint"
    )


def time_step(index: pd.Index) -> Any:
    """The step between rows: the index's frequency (calendar-aware), else the median gap; 1 for
    numbered rows."""
    if not isinstance(index, pd.DatetimeIndex):
        return 1
    freq = regular_frequency(index[-20:]) if len(index) >= 3 else None
    if freq is not None:
        return pd.tseries.frequencies.to_offset(freq)
    if len(index) < 2:
        raise ValueError("one timestamp gives no time step: the forecast times are unknown")
    return pd.Series(index).diff().median()


class Forecaster:
    """A trained model with the data handling it was trained with.

    Args:
        model: the trained model (evaluation mode).
        data: the run's data config (``_target_`` and options).
        scaler: the fitted scaler's state.
        columns: the training file's columns (empty for generated data).
        source: where the model came from, for messages.
        conformal: the run's calibrated conformal intervals, or None.
    """

    def __init__(
        self,
        model: ForecastModule,
        data: Mapping[str, Any],
        scaler: Mapping[str, Any],
        columns: list[str],
        source: str = "",
        conformal: ConformalIntervals | None = None,
    ) -> None:
        self.model = model.eval()
        self.spec: SeriesSpec = model.spec
        self.data = dict(data)
        self.scaler = StandardScaler(scaler["columns"])
        self.scaler.load_state_dict(dict(scaler))
        self.columns = list(columns) or list(
            dict.fromkeys([*self.spec.input_names, *self.spec.target_names])
        )
        self.source = source
        self.conformal = conformal

    @classmethod
    def load(cls, path: str | Path, data: Mapping[str, Any] | None = None) -> Forecaster:
        """Rebuild a trained model from a run folder or a checkpoint.

        Args:
            path: a run folder (``outputs/runs/<date>_<time>``: its best checkpoint) or a
                ``.ckpt`` file written by ``train.py``.
            data: data options replacing the run's own (``{"sep": ";", "fill": "ffill"}``).

        The run's ``conformal.json``, when its folder has one, gives the conformal intervals.
        """
        file = checkpoint_file(path)
        checkpoint, record = read_record(file)
        spec = SeriesSpec(**checkpoint["hyper_parameters"]["spec"])
        model = instantiate(record["config"]["model"], _partial_=True)(spec=spec)
        model.load_state_dict(checkpoint["state_dict"])
        data_cfg = {**record["config"]["data"], **(data or {})}
        calibrated = file.parent.parent / "conformal.json"  # <run>/checkpoints/best.ckpt
        conformal = None
        if calibrated.is_file():
            conformal = ConformalIntervals.from_state_dict(json.loads(calibrated.read_text()))
        return cls(model, data_cfg, record["scaler"], record["columns"], str(file), conformal)

    def _module(self) -> CSVDataModule:
        """The training data's own cleaning (a plain CSV reader for generated data)."""
        if issubclass(get_class(self.data["_target_"]), CSVDataModule):
            return instantiate({**self.data, "path": None})
        return CSVDataModule(
            targets=list(self.spec.target_names), inputs=list(self.spec.input_names)
        )

    def read_csv(self, path: str | Path) -> pd.DataFrame:
        """A CSV file as a raw frame, with the run's ``encoding``, ``sep`` and ``decimal``."""
        given = ("encoding", "sep", "decimal")
        options = {k: self.data[k] for k in given if self.data.get(k) is not None}
        return read_raw_csv(path, **options)

    def predict(
        self, data: pd.DataFrame | str | Path, windows: bool = False, source: str | None = None
    ) -> pd.DataFrame:
        """Forecasts in original units.

        Args:
            data: a frame laid out as the training file (its header as columns), or a CSV path.
            windows: False: the ``n_ahead`` steps after the last row; True: every window.
            source: how messages name the data (default: the path, or ``"<DataFrame>"``).

        Returns:
            ``windows=False``: one row per step: the time (or row number), ``step`` (sampled steps
            after the last row), and one column per target. ``windows=True``: one row per window
            and step: ``origin`` (the last input row's time), the target's time, ``step``, and
            per target its true value and ``<target>_forecast``. Both followed by the interval
            columns of :meth:`interval_columns`.

        Raises:
            ValueError: the columns differ from the training file's, the data is too short for a
                window, or it fails the training data's checks (the message says which).
        """
        if not isinstance(data, pd.DataFrame):
            source, data = source or str(data), self.read_csv(data)
        source = source or "<DataFrame>"
        missing = [c for c in self.columns if c not in data.columns]
        extra = [c for c in data.columns if c not in self.columns]
        if missing or extra:
            raise ValueError(
                f"{source}: its columns differ from the training data's: missing {missing}, "
                f"extra {extra}; give the columns the model was trained on, {self.columns}"
            )
        table = self._module().table_from_frame(data, source)
        columns = list(dict.fromkeys([*table.inputs, *table.targets, *table.future]))
        if tuple(columns) != self.scaler.columns:
            raise ValueError(
                f"{source}: its numeric columns {columns} differ from those the model was "
                f"trained on, {list(self.scaler.columns)}: a column holds text where it had numbers"
            )
        scaled = self.scaler.transform(table.frame[columns].to_numpy(np.float64)).astype(np.float32)
        pick = [[columns.index(c) for c in names] for names in (table.inputs, table.targets)]
        x, y = scaled[:, pick[0]], scaled[:, pick[1]]  # (N, F), (N, J)
        future = scaled[:, [columns.index(c) for c in table.future]] if table.future else None
        geometry = WindowGeometry(
            self.spec.input_len,
            self.spec.horizon,
            self.spec.n_ahead,
            self.spec.target_mode,
            self.data.get("sampling_rate", 1),
            self.data.get("stride", 1),
        )
        index = table.frame.index
        if windows:
            truth = table.frame[table.targets].to_numpy(np.float64)  # as in the file, unrounded
            return self._every_window(x, y, future, geometry, index, truth, source)
        return self._after_last_row(x, geometry, index, source)

    @torch.no_grad()
    def _forecast(self, x: np.ndarray, x_future: np.ndarray | None) -> dict[str, np.ndarray]:
        """Original-unit forecasts of a batch of scaled windows: ``"forecast"`` and each
        interval column's suffix (:meth:`interval_columns`), every one (B, K, J)."""
        future = None if x_future is None else torch.from_numpy(x_future)
        quantiles = window_quantiles(self.model, torch.from_numpy(x), future)  # (B, M, Q)
        values = {"forecast": self.model.point(quantiles)}  # (B, M), M = K*J step-major
        values |= {suffix: quantiles[..., q] for suffix, q in self._quantile_columns().items()}
        if self.conformal is not None:
            lower, upper = self._conformal_columns()
            values[lower], values[upper] = self.conformal.band(quantiles)
        shape = (len(x), self.spec.n_ahead, self.spec.n_targets)
        return {k: v.reshape(shape).numpy() for k, v in values.items()}

    def _quantile_columns(self) -> dict[str, int]:
        """A quantile model's levels other than the median: suffix (``q0.1``) -> level index."""
        if self.model.n_quantiles == 1:
            return {}
        levels = enumerate(self.model.levels)
        return {f"q{level:g}": q for q, level in levels if q != self.model.median}

    def _conformal_columns(self) -> tuple[str, ...]:
        """``lower_<c>`` and ``upper_<c>`` (c the coverage in percent) with conformal intervals."""
        if self.conformal is None:
            return ()
        percent = f"{100 * self.conformal.coverage:g}"
        return f"lower_{percent}", f"upper_{percent}"

    def interval_columns(self) -> list[str]:
        """The suffixes of the interval columns, a column being ``<target>_<suffix>``: a quantile
        model's levels other than the median (``q0.1``, ``q0.9``), then the conformal
        interval's bounds (``lower_80``, ``upper_80``)."""
        return [*self._quantile_columns(), *self._conformal_columns()]

    def _after_last_row(self, x, geometry, index, source) -> pd.DataFrame:
        r, T = geometry.sampling_rate, geometry.input_len
        need = r * (T - 1) + 1
        if len(x) < need:
            raise ValueError(
                f"{source}: {len(x)} rows after cleaning; the model reads {need} "
                f"(input_len={T}, sampling_rate={r}): give at least {need} rows, the last "
                f"{need} before the forecast"
            )
        if self.spec.n_future:
            raise ValueError(
                f"{source}: the model reads known-future covariates at the forecast steps, which "
                "lie after the last row; forecast with windows=true instead"
            )
        window = x[len(x) - need :: r][None]  # (1, T, F)
        steps = self.spec.horizon + np.arange(self.spec.n_ahead)  # (K,)
        pred = self._forecast(window, None)  # each (1, K, J)
        step = time_step(index)
        times = [index[-1] + step * int(r * s) for s in steps]
        out = pd.DataFrame({index.name or "row": times, "step": steps})
        for j, name in enumerate(self.spec.target_names):
            out[name] = pred["forecast"][0, :, j]
            for suffix in self.interval_columns():
                out[f"{name}_{suffix}"] = pred[suffix][0, :, j]
        return out

    def _every_window(self, x, y, future, geometry, index, truth, source) -> pd.DataFrame:
        starts = window_starts(geometry, 0, len(x))
        if len(starts) == 0:
            raise ValueError(
                f"{source}: {len(x)} rows after cleaning, one window with its truth needs "
                f"{geometry.span}"
            )
        dataset = WindowDataset(x, y, starts, geometry, future)
        frames = []
        for lo in range(0, len(dataset), BATCH):
            batch = list(range(lo, min(lo + BATCH, len(dataset))))
            items = dataset.__getitems__(batch)
            fut = items[2].numpy() if len(items) > 2 else None
            pred = self._forecast(items[0].numpy(), fut)  # each (B, K, J)
            rows = dataset.target_rows(batch)  # (B, K) or (B, T, K)
            rows = rows[:, -1] if rows.ndim == 3 else rows  # the last input step's targets
            true = truth[rows]  # (B, K, J)
            B, K, _ = pred["forecast"].shape
            frame = pd.DataFrame(
                {
                    "origin": index[dataset.input_rows(batch)[:, -1]].repeat(K),
                    index.name or "row": index[rows.reshape(-1)],
                    "step": np.tile(self.spec.horizon + np.arange(K), B),
                }
            )
            for j, name in enumerate(self.spec.target_names):
                frame[name] = true[:, :, j].reshape(-1)
                frame[f"{name}_forecast"] = pred["forecast"][:, :, j].reshape(-1)
                for suffix in self.interval_columns():
                    frame[f"{name}_{suffix}"] = pred[suffix][:, :, j].reshape(-1)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
