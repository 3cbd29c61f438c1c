"""Exploding gradients: the IRNN blows up without clipping and trains with it."""

import math

from explain_testkit import compose_explain
from omegaconf import OmegaConf

from gatework.explain.clipping import StepRecord, explain_clipping


def test_step_record_summary():
    record = StepRecord()
    record.losses, record.norms = [1.0, 0.5, math.nan], [3.0, 0.5, math.inf]
    summary = record.summary(clip=1.0)
    assert summary["first_nonfinite_step"] == 3 and summary["steps"] == 3
    assert summary["max_grad_norm"] == 3.0
    assert summary["share_above_clip"] == 2 / 3  # 3.0 and inf are above 1


def test_without_clipping_the_loss_is_lost_with_clipping_it_trains(tmp_path, synthetic):
    cfg = compose_explain(tmp_path, "clipping.hidden_size=16", "clipping.batches=6")
    settings = OmegaConf.to_container(cfg.clipping, resolve=True)
    runs = explain_clipping(synthetic, settings, cfg.trainer, cfg.seed, tmp_path / "clip.png")
    without, clipped = runs["without clipping"], runs["gradient_clip_val=1"]
    assert without["first_nonfinite_step"] is not None  # stopped there
    assert without["steps"] == without["first_nonfinite_step"] < 6
    assert clipped["first_nonfinite_step"] is None and clipped["steps"] == 6
    assert math.isfinite(clipped["last_loss"])
    assert clipped["max_grad_norm"] > 1.0 and clipped["share_above_clip"] > 0  # it was needed
    assert (tmp_path / "clip.png").read_bytes().startswith(b"\x89PNG")
