"""Fixtures of the model tests; helpers live in models_testkit.py."""

import pytest


@pytest.fixture
def trainer_kwargs(tmp_path) -> dict:
    """A quiet CPU Trainer writing into tmp_path."""
    return dict(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
