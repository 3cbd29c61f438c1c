"""Every experiment works with every model that can read its windows, and refuses the others."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import get_class, instantiate
from test_train import compose_fast, train

from gatework.models import IterativeForecaster

REPO = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted(p.stem for p in (REPO / "configs" / "experiment").glob("*.yaml"))
MODELS = sorted(p.stem for p in (REPO / "configs" / "model").glob("*.yaml"))
SMALL = {
    "synthetic": ["data.n_series=120", "data.splits=[60,30,30]"],
    "ridership": [],  # the file below is small already
}


@pytest.fixture(scope="module")
def cta_file(tmp_path_factory) -> Path:
    """Daily rows shaped like the City of Chicago export, 2015-10 .. 2019-12."""
    days = pd.date_range("2015-10-01", "2019-12-31", freq="D")
    n = np.arange(len(days))
    kind = np.where(days.day_of_week == 5, "A", np.where(days.day_of_week == 6, "U", "W"))
    path = tmp_path_factory.mktemp("cta") / "cta.csv"
    pd.DataFrame(
        {
            "service_date": days.strftime("%m/%d/%Y"),
            "day_type": kind,
            "bus": 1000 + 5 * (n % 7),
            "rail_boardings": 2000 + 3 * (n % 7) + n,
            "total_rides": 3000 + n,
        }
    ).to_csv(path, index=False)
    return path


def experiment_overrides(experiment: str, cta_file: Path) -> list[str]:
    if experiment == "ridership_geron":
        return [f"experiment={experiment}", f"data.path={cta_file}", *SMALL["ridership"]]
    return [f"experiment={experiment}", *SMALL["synthetic"]]


def can_read(cfg) -> bool:
    """What a model class declares it reads, against what the experiment's data serves."""
    cls = get_class(cfg.model._target_)
    return cfg.data.get("target_mode", "vector") in cls.target_modes


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_builds_with_every_model_that_reads_its_windows(experiment, cta_file):
    """Data and model built as train() builds them; a model that cannot read the windows is
    refused with the option to set (one test per experiment: composing is the slow part)."""
    dm, built = None, []
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        for model in MODELS:
            overrides = [*experiment_overrides(experiment, cta_file), f"model={model}"]
            cfg = compose("train", overrides=overrides)
            if dm is None:
                dm = instantiate(cfg.data)
                dm.setup()
            build = instantiate(cfg.model, _partial_=True)
            if not can_read(cfg):
                with pytest.raises(ValueError, match=r"accepts data.target_mode in .* set data"):
                    build(spec=dm.spec)
                continue
            forecaster = build(spec=dm.spec)
            if cfg.eval.iterative:  # the experiment rolls a one-step model forward
                spec_k = type(dm.spec)(**{**dm.spec.__dict__, "n_ahead": cfg.eval.n_ahead})
                IterativeForecaster(forecaster, spec_k)
            built.append(model)
    sequence_readers = ["cnn_lstm", "conv_gru", "naive", "seasonal_naive", "seq2seq", "wavenet"]
    vector_readers = [m for m in MODELS if m != "seq2seq"]
    assert built == (sequence_readers if experiment == "seq2seq" else vector_readers)


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_and_model_train(tmp_path, experiment, model, cta_file):
    overrides = [*experiment_overrides(experiment, cta_file), f"model={model}"]
    cfg = compose_fast(tmp_path, *overrides, "+trainer.fast_dev_run=true", data=())
    if not can_read(cfg):
        pytest.skip(f"{model} does not read {cfg.data.target_mode} targets")
    metrics = train(cfg)
    assert np.isfinite(metrics["test/mae"])
