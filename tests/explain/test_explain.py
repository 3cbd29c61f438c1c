"""explain(cfg) end to end: every figure written, numbers in summary.json, trained checkpoints."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from explain_testkit import REPO, SMALL_DATA, compose_explain
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf


def load_script(name: str):
    """A script at the repository root (train.py, explain.py), loaded by path."""
    spec = importlib.util.spec_from_file_location(name, REPO / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


explain = load_script("explain").explain
FILES = (
    "gates.png",
    "gradients_through_time.png",
    "gradients_through_time.csv",
    "clipping.png",
    "receptive_field.png",
    "parameters.md",
    "summary.json",
)


def test_a_model_without_recurrence_skips_its_gates(tmp_path):
    summary = explain(compose_explain(tmp_path, "model=wavenet", "what=[gates,parameters]"))
    assert summary["gates"] == {"skipped": "WaveNet has no recurrent layer"}
    assert list(summary["parameters"]["tables"]) == [
        "SimpleRNN(4 → 3)",
        "LSTM(4 → 3)",
        "GRU(4 → 3)",
    ]


def test_unknown_figure_lists_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"what=\['gate'\]: choose among \['gates', "):
        explain(compose_explain(tmp_path, "what=gate"))


def test_trained_torch_backend_checkpoint_is_explained_with_its_own_config(tmp_path):
    """A run of train.py (backend=torch) read back: its model and data, not the explain ones."""
    run = tmp_path / "run"
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        train_cfg = compose(
            "train",
            overrides=[
                *SMALL_DATA,
                "model=lstm",
                "model.rnn.backend=torch",
                "model.rnn.hidden_size=6",
                "trainer=cpu",
                "trainer.max_epochs=1",
                "trainer.enable_progress_bar=false",
                "+trainer.limit_train_batches=2",
                "eval.plot_windows=0",
                f"paths.output_dir={run}",
            ],
        )
    load_script("train").train(train_cfg)
    (run / ".hydra").mkdir()
    OmegaConf.save(train_cfg, run / ".hydra" / "config.yaml")  # as Hydra does
    cfg = compose_explain(tmp_path / "explained", f"ckpt={run}", "model=gru", "what=[gates]")
    summary = explain(cfg)
    assert summary["model"]["weights"] == f"trained, from {run}"
    gates = summary["gates"]
    assert gates["copied_from_torch"] and gates["layer"] == "rnn"
    assert set(gates["saturation"]) == {"l0.i", "l0.f", "l0.g", "l0.o"}  # an LSTM, not a GRU
    assert gates["max_abs_error"] < 1e-6
    from gatework.explain.checkpoint import load_trained

    with pytest.raises(ValueError, match=r"so model=gru data.input_len=8 would be ignored"):
        load_trained(run, cfg, ["model=gru", "data.input_len=8"])  # as typed on a command line


def titled_and_labelled(fig) -> list[str]:
    """What a figure lacks: a title, and a label on each axis (colour bars name their scale)."""
    missing = [] if fig.get_suptitle() else ["suptitle"]
    plots = [ax for ax in fig.axes if not hasattr(ax, "_colorbar")]
    for ax in plots:
        if not ax.get_ylabel():
            missing.append(f"ylabel of {ax.get_title()!r}")
        if not (ax.get_title() or fig.get_suptitle()):
            missing.append("a title")
    if not any(ax.get_xlabel() for ax in plots):
        missing.append("xlabel")
    for ax in fig.axes:
        if hasattr(ax, "_colorbar") and not (ax.get_ylabel() or ax.get_xlabel()):
            missing.append("colour bar label")
    return missing


def test_every_figure_with_titles_labels_and_its_numbers(tmp_path, monkeypatch):
    """All default figures (small settings): files, titles and axis labels, the numbers."""
    import gatework.explain.png as png

    drawn = {}

    def keep(fig, png_path, dpi=90):
        drawn[Path(png_path).name] = fig
        return png.save_png(fig, png_path, dpi)

    for module in ("gates", "gradients", "clipping", "receptive_field", "series"):
        monkeypatch.setattr(f"gatework.explain.{module}.save_png", keep)
    cells = "gradients.cells=[{cell:rnn},{cell:lstm,forget_bias:1.0}]"
    summary = explain(compose_explain(tmp_path, "model.rnn.hidden_size=8", cells))
    for name in FILES:
        assert (tmp_path / name).stat().st_size > 0, name
        if name.endswith(".png"):
            assert (tmp_path / name).read_bytes().startswith(b"\x89PNG"), name
            assert titled_and_labelled(drawn[name]) == [], name
    assert json.loads((tmp_path / "summary.json").read_text())["model"] == {
        "class": "Recurrent",
        "weights": "freshly initialised",
    }
    assert summary["gates"]["max_abs_error"] < 1e-6
    assert set(summary["gradients"]["at initialisation"]) == {"SimpleRNN", "LSTM forget_bias=1.0"}
    assert summary["clipping"]["gradient_clip_val=1"]["steps"] == 4
    fields = summary["receptive_field"]
    assert fields["wavenet"]["formula"] == fields["wavenet"]["measured"] == 64
    assert fields["causal vs standard"]["causal"]["steps_after"] == 0
    simple = summary["parameters"]["tables"]["SimpleRNN(4 → 3)"][0]
    assert (simple["one bias"], simple["torch.nn"]) == (24, 27)
    assert "| Recurrent.rnn |" in (tmp_path / "parameters.md").read_text()


def test_command_line_writes_into_its_run_folder(tmp_path):
    done = subprocess.run(
        [sys.executable, "explain.py", "what=parameters", *SMALL_DATA, f"hydra.run.dir={tmp_path}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["parameters"]["tables"]["LSTM(4 → 3)"][0]["torch.nn"] == 108
    assert (tmp_path / "parameters.md").exists() and (tmp_path / "explain.log").exists()


def test_two_explain_runs_started_in_the_same_second_get_their_own_folders(tmp_path):
    from gatework.training.run_dir import RunDirCallback, release_run_dir

    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        cfg = compose("explain", [f"paths.log_dir={tmp_path}"], return_hydra_config=True)
    assert [c._target_ for c in cfg.hydra.callbacks.values()] == [
        "gatework.training.run_dir.RunDirCallback"
    ]
    planned = Path(cfg.hydra.run.dir)
    planned.mkdir(parents=True)  # the other run took the name
    RunDirCallback().on_run_start(config=cfg)
    assert cfg.hydra.run.dir == f"{planned}_2"
    release_run_dir(cfg.hydra.run.dir)
