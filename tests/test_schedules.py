"""configs/scheduler: each option composes, builds its torch scheduler and steps as it says."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

REPO = Path(__file__).resolve().parents[1]
SCHEDULES = sorted(p.stem for p in (REPO / "configs" / "scheduler").glob("*.yaml"))
EXPECTED = {
    "cosine": "CosineAnnealingLR",
    "one_cycle": "OneCycleLR",
    "plateau": "ReduceLROnPlateau",
    "step": "StepLR",
}


def schedule(name: str, *overrides: str):
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=[f"scheduler={name}", *overrides])
    return instantiate(cfg.scheduler)


class Tiny(L.LightningModule):
    """One weight fitted to y = 2x, with the schedule under test."""

    def __init__(self, scheduler) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.scheduler = scheduler

    def training_step(self, batch, batch_idx):
        x = batch[0]
        loss = (self.w * x - 2 * x).square().mean()
        self.log("val/mae", loss.detach())  # what plateau monitors
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler(optimizer, self.trainer)}


def quiet_trainer(epochs: int, root: Path) -> L.Trainer:
    return L.Trainer(
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=root,
    )


def test_every_option_is_tested():
    assert set(SCHEDULES) == set(EXPECTED)


@pytest.mark.parametrize("name", SCHEDULES)
def test_each_schedule_builds_its_torch_scheduler(name: str, tmp_path):
    make = schedule(name)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(8, 1)), 4)
    trainer = quiet_trainer(3, tmp_path)
    trainer.fit(Tiny(make), data)
    config = trainer.lr_scheduler_configs[0]
    assert type(config.scheduler).__name__ == EXPECTED[name]
    assert config.interval == ("step" if name == "one_cycle" else "epoch")


def test_step_halves_the_learning_rate_every_step_size_epochs(tmp_path):
    make = schedule("step", "scheduler.step_size=2")
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(8, 1)), 4)
    trainer = quiet_trainer(5, tmp_path)
    trainer.fit(Tiny(make), data)
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**2)  # 5 // 2


def test_one_cycle_spans_every_optimiser_step(tmp_path):
    make = schedule("one_cycle")
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(8, 1)), 4)
    trainer = quiet_trainer(3, tmp_path)
    trainer.fit(Tiny(make), data)
    assert trainer.lr_scheduler_configs[0].scheduler.total_steps == 3 * 2


def test_no_scheduler_by_default_and_the_model_returns_its_optimizer_alone():
    from gatework.datamodules.spec import SeriesSpec
    from gatework.models import Linear

    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        assert "scheduler" not in compose("train")
    model = Linear(SeriesSpec(input_len=4, n_inputs=1, n_targets=1, n_ahead=1))
    assert isinstance(model.configure_optimizers(), torch.optim.Adam)
