"""Atomic files: a failed or killed write leaves the previous file whole and no debris."""

import json
import os

import pytest
import torch

from gatework.training.atomic import (
    AtomicCheckpointIO,
    atomic_write,
    atomic_write_json,
    atomic_write_text,
)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = atomic_write_text(tmp_path / "metrics.json", "old\n")

    def half_then_crash(f):
        f.write(b"new, but only ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, half_then_crash)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["metrics.json"]


def test_the_new_content_appears_only_at_the_rename(tmp_path):
    path = atomic_write_text(tmp_path / "a.txt", "old")
    seen = []
    atomic_write(path, lambda f: (f.write(b"new"), seen.append(path.read_text())))
    assert seen == ["old"] and path.read_text() == "new"


def test_json_is_sorted_with_null_for_non_finite_and_byte_stable(tmp_path):
    data = {"val/mae": 0.5, "test/mape": float("inf"), "a": {"z": float("nan"), "b": [1.0]}}
    first = atomic_write_json(tmp_path / "1.json", data).read_bytes()
    second = atomic_write_json(tmp_path / "2.json", dict(reversed(data.items()))).read_bytes()
    assert first == second
    assert json.loads(first) == {"a": {"b": [1.0], "z": None}, "test/mape": None, "val/mae": 0.5}


def test_json_default_writes_other_objects_and_the_file_parses_strictly(tmp_path):
    """explain.py's summary.json: a Path inside, a NaN loss of the run without clipping."""

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    data = {"file": tmp_path / "gates.png", "without clipping": {"last_loss": float("nan")}}
    text = atomic_write_json(tmp_path / "s.json", data, default=str).read_text()
    assert json.loads(text, parse_constant=no_constants) == {
        "file": str(tmp_path / "gates.png"),
        "without clipping": {"last_loss": None},
    }


def test_file_mode_follows_the_umask_like_a_plain_write(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    atomic = atomic_write_text(tmp_path / "atomic", "x")
    assert atomic.stat().st_mode == plain.stat().st_mode


def test_checkpoint_io_round_trip(tmp_path):
    io = AtomicCheckpointIO()
    io.save_checkpoint({"w": torch.arange(3)}, tmp_path / "checkpoints" / "last.ckpt")
    loaded = io.load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert torch.equal(loaded["w"], torch.arange(3))
    assert os.listdir(tmp_path / "checkpoints") == ["last.ckpt"]
