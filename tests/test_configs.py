"""The Hydra config tree: every group composes, names resolve, mistakes list the valid choices."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import MissingConfigException
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def group_options(group: str) -> list[str]:
    """Every option of a config group, from the files on disk."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def compose_train(*overrides: str, hydra: bool = False) -> DictConfig:
    with initialize_config_dir(str(CONFIGS), version_base="1.3"):
        return compose("train", overrides=list(overrides), return_hydra_config=hydra)


def test_defaults_are_gru_on_synthetic_data():
    cfg = compose_train()
    assert cfg.model.rnn.cell == "gru"
    assert cfg.data._target_.endswith("SyntheticDataModule")
    assert cfg.trainer.accelerator == "auto"
    assert cfg.callbacks.model_checkpoint.monitor == "val/mae"
    assert cfg.callbacks.early_stopping.monitor == "val/mae"
    assert cfg.optimized_metric == "val/mae"
    assert not cfg.eval.iterative


@pytest.mark.parametrize("group", ["model", "data"])
def test_unknown_name_lists_the_valid_choices(group):
    with pytest.raises(MissingConfigException) as err:
        compose_train(f"{group}=nope")
    message = str(err.value)
    assert f"Could not find '{group}/nope'" in message
    assert f"Available options in '{group}'" in message
    for option in group_options(group):
        assert option in message


@pytest.mark.parametrize("model", group_options("model"))
def test_every_model_config_names_a_forecast_module(model):
    from gatework.models import ForecastModule

    cfg = compose_train(f"model={model}")
    cls = get_class(cfg.model._target_)
    assert issubclass(cls, ForecastModule)
    assert isinstance(cls.trainable, bool)
    assert cls.target_modes


@pytest.mark.parametrize("experiment", group_options("experiment"))
def test_every_experiment_composes_and_changes_the_defaults(experiment):
    base = OmegaConf.to_container(compose_train(), resolve=False)
    cfg = OmegaConf.to_container(compose_train(f"experiment={experiment}"), resolve=False)
    assert cfg != base


@pytest.mark.parametrize("trainer", group_options("trainer"))
def test_trainer_options_point_at_lightning(trainer):
    cfg = compose_train(f"trainer={trainer}")
    assert cfg.trainer._target_ == "lightning.pytorch.Trainer"
    assert cfg.trainer.accelerator in ("auto", "cpu", "gpu")


def test_callbacks_and_logger_instantiate_into_the_run_dir(tmp_path):
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    cfg = compose_train(f"paths.output_dir={tmp_path}", "callbacks.early_stopping.patience=7")
    checkpoint = instantiate(cfg.callbacks.model_checkpoint)
    stopping = instantiate(cfg.callbacks.early_stopping)
    logger = instantiate(cfg.logger.csv)
    assert isinstance(checkpoint, ModelCheckpoint)
    assert Path(checkpoint.dirpath) == tmp_path / "checkpoints"
    assert isinstance(stopping, EarlyStopping) and stopping.patience == 7
    assert isinstance(logger, CSVLogger)
    assert Path(logger.log_dir) == tmp_path / "csv"


def test_callbacks_none_is_empty():
    assert not compose_train("callbacks=none").callbacks


def test_hydra_run_and_sweep_dirs_and_leaderboard_callback():
    cfg = compose_train("paths.log_dir=/runs", hydra=True)
    assert cfg.hydra.run.dir.startswith("/runs/runs/20")  # <log_dir>/runs/<date>_<time>
    assert cfg.hydra.sweep.dir.startswith("/runs/multirun/20")
    assert cfg.hydra.job.chdir is False
    callback = instantiate(cfg.hydra.callbacks.leaderboard)
    assert callback.sort_by == "val/mae"


def test_seq2seq_experiment_sets_model_and_sequence_targets():
    cfg = compose_train("experiment=seq2seq")
    assert cfg.model._target_ == "gatework.models.Seq2Seq"
    assert cfg.data.target_mode == "sequence"
    assert cfg.data.n_ahead == 10


def test_experiment_values_yield_to_the_command_line():
    cfg = compose_train("experiment=ridership_geron", "trainer.max_epochs=3")
    assert cfg.trainer.max_epochs == 3
    assert cfg.model.optimizer._target_ == "torch.optim.SGD"
    assert cfg.baseline.period == 7


@pytest.mark.parametrize("search", group_options("hparams_search"))
def test_hparams_search_spaces_name_real_options(search):
    """Every swept key takes a value from its space on the default config (no plugin needed)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep

    params = OmegaConf.load(CONFIGS / "hparams_search" / f"{search}.yaml").hydra.sweeper.params
    parser = OverridesParser.create()
    picks = []
    for key, space in params.items():
        sweep = parser.parse_override(f"{key}={space}").value()
        assert isinstance(sweep, (ChoiceSweep, IntervalSweep)), key
        value = sweep.list[-1] if isinstance(sweep, ChoiceSweep) else sweep.end
        picks.append(f"{key}={value}")
    cfg = compose_train(*picks)
    assert cfg.model.rnn.hidden_size == 64 and cfg.scheduler._target_.endswith("step")


def test_hparams_search_composes_with_the_optuna_sweeper():
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper", reason="extra [optuna]")
    cfg = compose_train("hparams_search=gru_optuna", hydra=True)
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper")
    assert cfg.hydra.mode.name == "MULTIRUN" and cfg.optimized_metric == "val/mae"
