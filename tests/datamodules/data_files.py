"""Writers of tiny CSV files with the real files' exact headers and date formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

JENA_HEADER = (
    '"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)",'
    '"VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)",'
    '"max. wv (m/s)","wd (deg)"'
)
CTA_HEADER = "service_date,day_type,bus,rail_boardings,total_rides"


def write_jena(path: Path, n_rows: int, wind_sentinel_rows: tuple[int, ...] = ()) -> Path:
    """Jena-format rows every 10 minutes from 01.01.2009 00:10:00.

    Column ``T (degC)`` holds the row index, so a window's values name the rows it read; the
    other columns are affine in the row index with distinct offsets.
    """
    times = pd.date_range("2009-01-01 00:10:00", periods=n_rows, freq="10min")
    i = np.arange(n_rows, dtype=float)
    lines = [JENA_HEADER]
    for r, t in enumerate(times):
        values = [1000 + i[r] / 100, i[r]] + [k + i[r] / 10 for k in range(2, 14)]
        if r in wind_sentinel_rows:
            values[11] = -9999.0  # "wv (m/s)"
        lines.append(t.strftime("%d.%m.%Y %H:%M:%S") + "," + ",".join(f"{v:.2f}" for v in values))
    path.write_text("\n".join(lines) + "\n")
    return path


def cta_frame(first: str = "2015-10-01", last: str = "2019-12-31") -> pd.DataFrame:
    """Daily CTA-like rows: rail = day number since ``first``, bus = 2 * rail + 1."""
    days = pd.date_range(first, last, freq="D")
    n = np.arange(len(days))
    kind = np.where(days.day_of_week == 5, "A", np.where(days.day_of_week == 6, "U", "W"))
    return pd.DataFrame(
        {
            "service_date": days.strftime("%m/%d/%Y"),
            "day_type": kind,
            "bus": 2 * n + 1,
            "rail_boardings": n,
            "total_rides": 3 * n + 1,
        }
    )


def write_cta(path: Path, frame: pd.DataFrame) -> Path:
    """Write rows as the City of Chicago export does (header, no index)."""
    frame.to_csv(path, index=False)
    assert path.read_text().splitlines()[0] == CTA_HEADER
    return path
