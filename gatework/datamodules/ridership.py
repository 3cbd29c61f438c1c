"""Chicago Transit Authority daily boardings, Géron's setup (HOML 3rd ed., chapter 15).

The City of Chicago export (dataset 6iiy-9s97) has ``service_date,day_type,bus,rail_boardings,
total_rides`` with ``MM/DD/YYYY`` dates, rows not in date order and exact duplicate rows. This
module sorts by date and drops exact duplicates (the audit says how many), renames the counts to
``bus``, ``rail`` and ``total``, and splits by date as the book: train 2016-01 .. 2018-12,
validation 2019-01 .. 2019-05, test from 2019-06. Defaults: rail alone, 56-day windows, the next
day. ``next_day_type: true`` adds the book's known-future covariate, the next day's type one-hot
(``next_day_type_A``, ``_U``, ``_W``: Saturday, Sunday/holiday, weekday) as unscaled input columns.
For the encoder-decoder, ``future_columns: [day_type_A, day_type_U, day_type_W]`` serves each
target day's own type as ``x_future`` instead.

The default checksum pins the 2021-11-30 snapshot the book uses (7,701 rows). The live export grows
every day, so a fresh download will not match it: pass ``data.sha256=null`` to accept the current
export (its checksum is then recorded), or pass ``data.path`` to a copy of the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gatework.datamodules.csvfile import CSVDataModule
from gatework.datamodules.download import cache_dir, fetch, sha256sum

URL = "https://data.cityofchicago.org/api/views/6iiy-9s97/rows.csv?accessType=DOWNLOAD"
FILE = "CTA_-_Ridership_-_Daily_Boarding_Totals.csv"
SNAPSHOT_SHA256 = "34faaba085ca21434b7dd3e0abcbaf8cde5be3a4f170dda1c8caef72c5c4bd06"
GERON_SPLITS = {
    "train": ["2016-01", "2018-12"],
    "val": ["2019-01", "2019-05"],
    "test": ["2019-06", None],
}
RENAME = {"bus": "bus", "rail_boardings": "rail", "total_rides": "total"}
DAY_TYPES = ("A", "U", "W")
HINT = (
    f"download it from {URL} (City of Chicago, CTA - Ridership - Daily Boarding Totals) and "
    f"pass data.path=/path/to/{FILE}"
)


class RidershipDataModule(CSVDataModule):
    """Windows over CTA daily bus and rail boardings.

    Args:
        path: the CSV; None downloads the City of Chicago export into ``cache_dir``.
        cache_dir: download folder (default ``$GATEWORK_CACHE`` or ``~/.cache/gatework``).
        sha256: expected sha256 of a download (default: the 2021-11-30 snapshot; None records
            the first download's).
        inputs: among ``bus``, ``rail``, ``total`` (default ``[rail]``).
        targets: among the same (default ``[rail]``).
        next_day_type: append the next day's type, one-hot, to the inputs.
        future_columns: known-future covariates read at the target days, e.g.
            ``[day_type_A, day_type_U, day_type_W]`` (each target day's type, one-hot).
        **rest: as :class:`~gatework.datamodules.csvfile.CSVDataModule`.
    """

    unscaled_columns = tuple(f"{p}day_type_{d}" for p in ("", "next_") for d in DAY_TYPES)

    def __init__(
        self,
        path: str | None = None,
        cache_dir: str | None = None,
        sha256: str | None = SNAPSHOT_SHA256,
        inputs: str | Sequence[str] = ("rail",),
        targets: str | Sequence[str] = ("rail",),
        next_day_type: bool = False,
        future_columns: str | Sequence[str] | None = None,
        input_len: int = 56,
        horizon: int = 1,
        n_ahead: int = 1,
        target_mode: str = "vector",
        sampling_rate: int = 1,
        stride: int = 1,
        splits: Sequence | Mapping = GERON_SPLITS,
        lookback: bool = False,
        scale: bool | float = True,
        period: int = 7,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            path=path,
            targets=targets,
            inputs=inputs,
            time_column="service_date",
            time_format="%m/%d/%Y",
            fill=None,
            unsorted="sort",
            duplicates="drop",
            future_columns=future_columns,
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
        self.cache_dir = cache_dir
        self.sha256 = sha256
        self.next_day_type = bool(next_day_type)

    def prepare_data(self) -> None:
        """Download the export unless ``data.path`` is given or it is cached."""
        if self.path is None:
            hint = (
                f"{HINT}. The live export grows every day, so it differs from the 2021-11-30 "
                "snapshot the default data.sha256 pins: pass data.sha256=null to accept it"
            )
            fetch(URL, FILE, self.sha256, cache_dir(self.cache_dir), hint)

    def local_file(self) -> Path:
        if self.path is not None:
            return Path(self.path).expanduser()
        cached = cache_dir(self.cache_dir) / FILE
        if not cached.is_file():
            raise FileNotFoundError(
                f"CTA ridership data not found at {cached}: call prepare_data() to download it, "
                f"or {HINT}"
            )
        return cached

    def adapt(self, df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
        missing = [c for c in ("day_type", *RENAME) if c not in df.columns]
        if missing:
            raise ValueError(
                f"{path}: no column {missing[0]!r}; a CTA ridership file has the header "
                f"service_date,day_type,bus,rail_boardings,total_rides ({HINT})"
            )
        df = df.rename(columns=RENAME)
        bad = ~df["day_type"].isin(DAY_TYPES).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{path}, line {df['_line'].iloc[i]}: day_type is {df['day_type'].iloc[i]!r}, "
                f"expected one of {DAY_TYPES}; fix the file"
            )
        for d in DAY_TYPES:  # each day's own type, one-hot: what future_columns can name
            df[f"day_type_{d}"] = (df["day_type"] == d).astype(np.float64)
        notes = []
        if Path(path).is_file():  # not for a frame handed over in memory
            same = sha256sum(path) == SNAPSHOT_SHA256
            notes.append(f"sha256 {'matches' if same else 'differs from'} the 2021-11-30 snapshot")
        missing = len(pd.date_range(df.index[0], df.index[-1], freq="D")) - len(df)
        if missing:
            notes.append(f"{missing:,} days missing: windows step over them as if consecutive")
        if not self.next_day_type:
            return df, [], notes
        # the calendar's next day, not the next row, so a missing day cannot shift the types
        nxt = df["day_type"].reindex(df.index + pd.Timedelta(days=1)).to_numpy()
        extra = [f"next_day_type_{d}" for d in DAY_TYPES]
        for d, column in zip(DAY_TYPES, extra, strict=True):
            df[column] = (nxt == d).astype(np.float64)
        notes.append(
            f"next_day_type_*: the last day ({df.index[-1].date()}) has no next day, all 0"
        )
        return df, extra, notes
