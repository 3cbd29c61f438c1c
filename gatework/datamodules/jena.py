"""The Jena climate record (Max Planck Institute for Biogeochemistry, 2009-2016), Chollet's setup.

420,451 rows every 10 minutes, ``"Date Time"`` as ``dd.mm.yyyy HH:MM:SS`` and 14 numeric columns.
Defaults follow *Deep Learning with Python*: 50/25/25 split by row, hourly steps
(``sampling_rate=6``), 120 hours in, temperature 24 hours after the last input, all 14 columns as
inputs, scaler fit on the training half. Unlike the book's ``timeseries_dataset_from_array``
recipe, the last training windows do not take targets from the validation rows.

The wind speed columns hold ``-9999`` where the sensor failed; ``wind_sentinel`` says what to do.
Rows are used in file order, as in the book (``unsorted`` and ``duplicates`` default to ``keep``,
and the audit counts both).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gatework.datamodules.csvfile import CSVDataModule
from gatework.datamodules.download import cache_dir, fetch

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip"
FILE = "jena_climate_2009_2016.csv"
WIND_COLUMNS = ("wv (m/s)", "max. wv (m/s)")
SENTINEL = -9999.0
SENTINEL_POLICIES = ("zero", "keep", "error")
HINT = f"download {URL}, unzip it and pass data.path=/path/to/{FILE}"


class JenaClimateDataModule(CSVDataModule):
    """Chollet's Jena temperature forecasting windows.

    Args:
        path: the unzipped CSV; None downloads the official zip into ``cache_dir``.
        cache_dir: download folder (default ``$GATEWORK_CACHE`` or ``~/.cache/gatework``).
        sha256: expected sha256 of the zip; None records the first download's and checks later
            uses against it.
        targets: column(s) to forecast (default ``"T (degC)"``).
        inputs: input columns (None: all 14).
        wind_sentinel: ``-9999`` in the wind speed columns: ``"zero"`` (as TensorFlow's
            time-series tutorial; counted in the audit), ``"keep"`` (the raw values, as the book)
            or ``"error"``.
        **rest: as :class:`~gatework.datamodules.csvfile.CSVDataModule`.
    """

    def __init__(
        self,
        path: str | None = None,
        cache_dir: str | None = None,
        sha256: str | None = None,
        targets: str | Sequence[str] = ("T (degC)",),
        inputs: str | Sequence[str] | None = None,
        wind_sentinel: str = "zero",
        fill: str | None = None,
        unsorted: str = "keep",
        duplicates: str = "keep",
        input_len: int = 120,
        horizon: int = 24,
        n_ahead: int = 1,
        target_mode: str = "vector",
        sampling_rate: int = 6,
        stride: int = 1,
        splits: Sequence | Mapping = (0.5, 0.25, 0.25),
        lookback: bool = False,
        scale: bool | float = True,
        period: int = 24,
        batch_size: int = 256,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            path=path,
            targets=targets,
            inputs=inputs,
            time_column="Date Time",
            time_format="%d.%m.%Y %H:%M:%S",
            fill=fill,
            unsorted=unsorted,
            duplicates=duplicates,
            input_len=input_len,
            horizon=horizon,
            n_ahead=n_ahead,
            target_mode=target_mode,
            sampling_rate=sampling_rate,
            stride=stride,
            splits=splits,
            lookback=lookback,
            scale=scale,
            period=period,
            batch_size=batch_size,
            num_workers=num_workers,
        )
        if wind_sentinel not in SENTINEL_POLICIES:
            raise ValueError(
                f"data.wind_sentinel must be one of {SENTINEL_POLICIES}, got {wind_sentinel!r}"
            )
        self.cache_dir = cache_dir
        self.sha256 = sha256
        self.wind_sentinel = wind_sentinel

    def prepare_data(self) -> None:
        """Download and unzip the official file unless ``data.path`` is given or it is cached."""
        if self.path is not None:
            return
        folder = cache_dir(self.cache_dir)
        if (folder / FILE).is_file():
            return
        archive = fetch(URL, f"{FILE}.zip", self.sha256, folder, HINT)
        with zipfile.ZipFile(archive) as z:
            member = next((m for m in z.namelist() if m.endswith(FILE)), None)
            if member is None:
                raise ValueError(f"{archive} holds no {FILE} (it has {z.namelist()}); {HINT}")
            partial = folder / f"{FILE}.part"
            partial.write_bytes(z.read(member))
            partial.replace(folder / FILE)

    def local_file(self) -> Path:
        if self.path is not None:
            return Path(self.path).expanduser()
        cached = cache_dir(self.cache_dir) / FILE
        if not cached.is_file():
            raise FileNotFoundError(
                f"Jena climate data not found at {cached}: call prepare_data() to download it, "
                f"or {HINT}"
            )
        return cached

    def adapt(self, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
        notes = []
        for column in WIND_COLUMNS:
            if column not in df.columns:
                continue
            bad = (pd.to_numeric(df[column], errors="coerce") == SENTINEL).to_numpy()
            if not bad.any():
                continue
            first = int(df["_line"].iloc[int(np.flatnonzero(bad)[0])])
            if self.wind_sentinel == "error":
                raise ValueError(
                    f"{path}, line {first}: column {column!r} holds the sensor-failure value "
                    f"{SENTINEL:g} ({int(bad.sum())} rows); set data.wind_sentinel=zero or keep"
                )
            if self.wind_sentinel == "zero":
                df[column] = df[column].where(~bad, 0.0)
                notes.append(f"{column}: {int(bad.sum()):,} sensor-failure values -9999 set to 0")
            else:
                notes.append(f"{column}: {int(bad.sum()):,} sensor-failure values -9999 kept")
        return df, [], notes
