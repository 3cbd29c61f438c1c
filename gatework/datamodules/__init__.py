"""Leakage-free windows over time series, as LightningDataModules.

Three stages, each in its own module: :mod:`~gatework.datamodules.splits` (by time),
:mod:`~gatework.datamodules.scaler` (fit on training rows only) and
:mod:`~gatework.datamodules.windows` (cut inside each split); :mod:`~gatework.datamodules.base`
wires them and :mod:`~gatework.datamodules.audit` reports what each split reads.
"""

from gatework.datamodules.base import SeriesDataModule
from gatework.datamodules.csvfile import CSVDataModule
from gatework.datamodules.jena import JenaClimateDataModule
from gatework.datamodules.ridership import RidershipDataModule
from gatework.datamodules.scaler import StandardScaler
from gatework.datamodules.spec import SeriesSpec
from gatework.datamodules.synthetic import SyntheticDataModule, generate_series
from gatework.datamodules.windows import WindowDataset, WindowGeometry, window_starts

__all__ = [
    "CSVDataModule",
    "JenaClimateDataModule",
    "RidershipDataModule",
    "SeriesDataModule",
    "SeriesSpec",
    "StandardScaler",
    "SyntheticDataModule",
    "WindowDataset",
    "WindowGeometry",
    "generate_series",
    "window_starts",
]
