"""The figures a teacher draws, each with the numbers behind it: ``python explain.py``.

Gate heatmaps, gradients through time, exploding gradients and clipping, receptive fields and
parameter counts (the default), or ``what=series``: a series' components and autocorrelation.
``ckpt=<run dir or .ckpt>`` explains a model trained by train.py; without it, a freshly
initialised one on the configured data. Every option is a Hydra override of
``configs/explain.yaml``; PNGs and ``summary.json`` land in the run folder. The walk-through
of what they show: docs/gate-math.md.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import hydra
import lightning as L
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gatework.explain.checkpoint import load_trained
from gatework.explain.clipping import explain_clipping
from gatework.explain.gates import explain_gates
from gatework.explain.gradients import explain_gradients
from gatework.explain.parameters import explain_parameters
from gatework.explain.receptive_field import explain_receptive_fields
from gatework.explain.recurrent import recurrent_layers
from gatework.explain.series import explain_series
from gatework.training.atomic import atomic_write_json

log = logging.getLogger(__name__)
FIGURES = ("gates", "gradients", "clipping", "receptive_field", "parameters", "series")


def selected(what) -> list[str]:
    """``what`` (one name or a list) as a list, every name checked against ``FIGURES``."""
    names = [what] if isinstance(what, str) else list(what)
    unknown = [n for n in names if n not in FIGURES]
    if unknown or not names:
        raise ValueError(f"what={names}: choose among {list(FIGURES)}, e.g. what=[gates,series]")
    return names


def model_and_data_overrides() -> list[str]:
    """The command line's ``model=``, ``model.*``, ``data=`` and ``data.*`` overrides."""
    if not HydraConfig.initialized():
        return []
    given = HydraConfig.get().overrides.task
    return [o for o in given if o.lstrip("+~").split("=")[0].split(".")[0] in ("model", "data")]


def model_and_data(cfg: DictConfig) -> tuple[L.LightningModule, L.LightningDataModule, str]:
    """The trained model of ``cfg.ckpt`` and its data, or a fresh ``cfg.model`` on ``cfg.data``."""
    if cfg.ckpt:
        model, dm = load_trained(cfg.ckpt, cfg, model_and_data_overrides())
        return model, dm, f"trained, from {cfg.ckpt}"
    dm = instantiate(cfg.data)
    dm.prepare_data()
    dm.setup()
    model = instantiate(cfg.model, _partial_=True)(spec=dm.spec)  # seeded: the same every run
    return model.eval(), dm, "freshly initialised"


def explain(cfg: DictConfig) -> dict:
    """Draw the figures of ``cfg.what`` into ``cfg.paths.output_dir`` and summarise them.

    Args:
        cfg: the composed ``configs/explain.yaml`` (tests pass ``paths.output_dir``).

    Returns:
        What ``summary.json`` holds: per figure, the numbers it shows (saturation shares,
        gradient decay per step, receptive fields, parameter counts, ACF lags, ...) and its
        PNG's name, plus the model explained and the seconds each figure took.
    """
    what = selected(cfg.what)
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads or threads)
    try:
        return draw(cfg, what)
    finally:
        torch.set_num_threads(threads)


def draw(cfg: DictConfig, what: list[str]) -> dict:
    """The body of :func:`explain`, with torch's threads set."""
    out_dir = Path(cfg.paths.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(cfg.seed, verbose=False)
    model, dm, origin = model_and_data(cfg)
    summary: dict = {"model": {"class": type(model).__name__, "weights": origin}, "seconds": {}}
    plain = {k: OmegaConf.to_container(cfg[k], resolve=True) for k in ("gradients", "clipping")}
    g, p, s = cfg.gates, cfg.parameters, cfg.series
    figures = {  # name: (file, how to draw it into that file)
        "gates": ("gates.png", lambda f: explain_gates(model, dm, g.window, g.layer, f)),
        "gradients": (
            "gradients_through_time.png",
            lambda f: explain_gradients(dm, plain["gradients"], cfg.trainer, cfg.seed, f),
        ),
        "clipping": (
            "clipping.png",
            lambda f: explain_clipping(dm, plain["clipping"], cfg.trainer, cfg.seed, f),
        ),
        "receptive_field": (
            "receptive_field.png",
            lambda f: explain_receptive_fields(
                {
                    k: instantiate(v, _partial_=True)(spec=dm.spec)
                    for k, v in cfg.receptive_field.models.items()
                },
                dm.spec.input_len,
                cfg.receptive_field.windows,
                f,
            ),
        ),
        "parameters": (
            "parameters.md",
            lambda f: {"tables": explain_parameters(model, p.input_size, p.hidden_size, f)},
        ),
        "series": ("series.png", lambda f: explain_series(dm, s.column, s.period, s.max_lag, f)),
    }
    for name in what:
        if name == "gates" and not recurrent_layers(model):
            summary[name] = {"skipped": f"{type(model).__name__} has no recurrent layer"}
            continue
        file, draw_into = figures[name]
        start = time.perf_counter()
        summary[name] = {"file": file} | draw_into(out_dir / file)
        summary["seconds"][name] = round(time.perf_counter() - start, 2)
        log.info("%s: %s (%.1f s)", name, out_dir / file, summary["seconds"][name])
    atomic_write_json(out_dir / "summary.json", summary, default=str)  # NaN written as null
    return summary


@hydra.main(version_base="1.3", config_path="configs", config_name="explain")
def main(cfg: DictConfig) -> None:
    """Command-line entry point."""
    start = time.perf_counter()
    explain(cfg)
    log.info("Outputs in %s (%.1f s)", cfg.paths.output_dir, time.perf_counter() - start)


if __name__ == "__main__":
    main()
