"""Leakage-free windows over time series, as LightningDataModules."""

from gatework.datamodules.spec import SeriesSpec

__all__ = ["SeriesSpec"]
