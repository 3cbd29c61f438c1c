"""Forecast with a trained run: ``python predict.py ckpt=<run dir> data.path=<csv>``.

Writes a CSV in original units with timestamps: the ``n_ahead`` steps after the file's last row,
or with ``windows=true`` every window's forecast beside the truth (see ``configs/predict.yaml``
and :class:`gatework.forecaster.Forecaster`, the same from Python).
"""

from __future__ import annotations

import logging

import hydra
from omegaconf import DictConfig, OmegaConf

from gatework.forecaster import Forecaster
from gatework.training.atomic import atomic_write_text

log = logging.getLogger(__name__)


@hydra.main(version_base="1.3", config_path="configs", config_name="predict")
def main(cfg: DictConfig) -> None:
    """Load the run, forecast ``data.path``, write ``output`` and print the forecast."""
    options = OmegaConf.to_container(cfg.data, resolve=True)
    path = options.pop("path")
    forecaster = Forecaster.load(cfg.ckpt, {k: v for k, v in options.items() if v is not None})
    log.info("Model: %s (%s)", type(forecaster.model).__name__, forecaster.source)
    forecast = forecaster.predict(path, windows=cfg.windows)
    atomic_write_text(cfg.output, forecast.to_csv(index=False))
    print(forecast.to_string(index=False, max_rows=20))
    log.info("Forecast of %s written to %s", path, cfg.output)


if __name__ == "__main__":
    main()
