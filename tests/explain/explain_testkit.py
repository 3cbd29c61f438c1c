"""Small synthetic data and composed explain configs for the explain tests."""

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
SMALL_DATA = (
    "data.n_series=120",
    "data.splits=[60,30,30]",
    "data.input_len=24",
    "data.batch_size=16",
)
SMALL_FIGURES = (  # seconds, not minutes: few units, windows and batches
    "trainer=cpu",
    "trainer.enable_progress_bar=false",
    "gradients.hidden_size=8",
    "gradients.windows=4",
    "gradients.batches=3",
    "clipping.hidden_size=8",
    "clipping.batches=4",
    "receptive_field.windows=8",
)


def compose_explain(tmp_path: Path, *overrides: str) -> DictConfig:
    """``configs/explain.yaml`` on small data, writing into ``tmp_path``."""
    with initialize_config_dir(str(CONFIGS), version_base="1.3"):
        return compose(
            "explain",
            overrides=[*SMALL_DATA, *SMALL_FIGURES, f"paths.output_dir={tmp_path}", *overrides],
        )
