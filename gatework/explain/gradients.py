"""Gradients through time: how much the loss at the end of a window hears of each earlier step.

Two measurements on the same test windows, against the lag T − t:

* ``‖∂L/∂x_t‖``: how strongly the loss of the forecast depends on the input t steps back,
  through the whole model (head included); what a learner feels when "the RNN cannot learn
  long-range dependencies".
* ``‖∂h_T/∂s_t‖``: the Jacobian of the last hidden state with respect to the recurrent state
  t steps back (``s_t = h_t``; for the LSTM ``s_t = (h_t, c_t)``, as the cell state is where
  its gradient flows). Its norm is the product of the step Jacobians of BPTT: for a tanh
  SimpleRNN each factor is ``diag(1 − h²) W_hh``, which shrinks it geometrically; for an LSTM
  the path through ``c`` multiplies by ``diag(f_t)`` instead, close to 1 when b_f is large.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import lightning as L
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from omegaconf import DictConfig
from torch import Tensor, nn

from gatework import cells
from gatework.explain.png import save_png
from gatework.explain.recurrent import as_gatework, first_recurrent_layer, layer_input
from gatework.explain.study import fit_briefly, split_windows, study_label, study_model
from gatework.models.evaluation_mode import evaluation_mode


def input_gradient_norms(model: nn.Module, batch: tuple[Tensor, ...]) -> np.ndarray:
    """``‖∂L_b/∂x_{b,t}‖₂``, averaged over the windows b, per lag.

    ``L_b`` is window b's own loss (the model's ``model_step``, as in training: its loss
    function, quantile levels included), so windows do not share a 1/B.

    Args:
        model: a ForecastModule (evaluation mode is used, dropout off).
        batch: ``(x, y[, x_future])`` scaled windows, x (B, T, F).

    Returns:
        (T,) array; entry k is lag k = T − t, from 0 (the last input step) to T − 1.
    """
    x = batch[0].detach().clone().requires_grad_(True)
    with evaluation_mode(model):
        loss = model.model_step((x, *batch[1:]))[0]  # the loss the model trains on
        (grad,) = torch.autograd.grad(loss * len(x), x)  # Σ_b L_b = B × the mean; (B, T, F)
    return grad.norm(dim=2).mean(dim=0).flip(0).numpy()  # (T,) by lag


def state_jacobian_norms(layer: nn.Module, x: Tensor) -> np.ndarray:
    """``‖∂h_T/∂s_t‖_F`` (Frobenius norm over units), averaged over the windows, per lag.

    The layer runs one step at a time through its public ``layer(x_t, state)``, so every
    intermediate state is a tensor autograd can differentiate with respect to; each window is
    repeated H times and copy j seeds unit j of h_T, so one backward pass gives every row of
    every Jacobian. Works the same for any cell, gatework's or torch.nn's (it is copied).

    Args:
        layer: a unidirectional SimpleRNN, LSTM or GRU (any number of layers).
        x: the layer's input, (B, T, F) batch first.

    Returns:
        (T,) array; entry k − 1 is lag k = T − t, from 1 (the state before the last step) to T
        (the initial state).
    """
    layer = as_gatework(layer)
    if layer.bidirectional:
        raise ValueError("gradients through time need a unidirectional layer")
    B, T, _ = x.shape
    H, depth = layer.hidden_size, layer.num_layers
    rows = x.detach().repeat_interleave(H, dim=0)  # (B·H, T, F): H copies of each window
    n_parts = 2 if isinstance(layer, cells.LSTM) else 1  # (h, c) or h
    parts = [rows.new_zeros(depth, B * H, H).requires_grad_(True) for _ in range(n_parts)]
    states = []  # states[t]: s_t, the state entering step t + 1, (L, B·H, H) per part
    with evaluation_mode(layer):
        for t in range(T):
            states.append(parts)
            _, state = layer(rows[:, t : t + 1], parts[0] if n_parts == 1 else tuple(parts))
            parts = list(state) if n_parts > 1 else [state]
        h_T = parts[0][-1]  # (B·H, H): the top layer's last hidden state
        seed = torch.eye(H, dtype=h_T.dtype).repeat(B, 1)  # copy j of each window: unit j
        grads = torch.autograd.grad((h_T * seed).sum(), [p for s in states for p in s])
    norms = []
    for t in range(T):  # s_t: lag T − t
        rows_sq = sum(g.pow(2).sum(dim=(0, 2)) for g in grads[t * n_parts : (t + 1) * n_parts])
        norms.append(rows_sq.view(B, H).sum(1).sqrt().mean().item())  # Frobenius, mean over B
    return np.asarray(norms[::-1])  # lag 1 .. T


def decay_per_step(norms: np.ndarray, first_lag: int) -> float:
    """The factor by which a norm shrinks (< 1) or grows (> 1) per step of lag: ``10**slope``
    of a least-squares line through ``log10(norms)`` against the lag (non-positive values
    left out).

    Args:
        norms: per lag, from ``first_lag`` on.
        first_lag: the lag of ``norms[0]`` (0 for inputs, 1 for states).
    """
    lags = np.arange(first_lag, first_lag + len(norms))
    keep = np.isfinite(norms) & (norms > 0)
    if keep.sum() < 2:
        return float("nan")
    slope = np.polyfit(lags[keep], np.log10(norms[keep]), 1)[0]
    return float(10.0**slope)


def plot_gradients(
    curves: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
    png_path: str | Path,
    title: str,
) -> Path:
    """Both norms against the lag, at initialisation and after training, log scale.

    Args:
        curves: ``curves[phase][cell] = {"input": (T,), "state": (T,)}``, phases such as
            ``"at initialisation"`` and ``"after training"``.
        png_path: where to save the figure.
        title: the figure's title (data, size, training).
    """
    phases = list(curves)
    fig = Figure(figsize=(5.2 * len(phases), 7.5), layout="constrained")
    axes = fig.subplots(2, len(phases), squeeze=False, sharey="row")
    labels = {
        "input": ("‖∂L/∂x_t‖₂ (loss per unit of model input)", 0),
        "state": ("‖∂h_T/∂s_t‖_F (no unit)", 1),
    }
    for col, phase in enumerate(phases):
        for row, (kind, (ylabel, first_lag)) in enumerate(labels.items()):
            ax = axes[row, col]
            for cell, measured in curves[phase].items():
                norms = measured[kind]
                ax.plot(np.arange(first_lag, first_lag + len(norms)), norms, label=cell)
            ax.set_yscale("log")
            ax.set_xlabel("lag T − t (steps back from the last one)")
            ax.set_ylabel(ylabel)
            name = "loss w.r.t. input x_t" if kind == "input" else "last state w.r.t. state s_t"
            ax.set_title(f"{name}, {phase}", fontsize="medium")
            ax.grid(True, which="major", alpha=0.3)
    axes[0, 0].legend(fontsize="small")
    fig.suptitle(title)
    return save_png(fig, png_path, dpi=90)


def measure_both(model: nn.Module, batch: tuple[Tensor, ...]) -> dict[str, np.ndarray]:
    """``{"input": input_gradient_norms, "state": state_jacobian_norms}`` of one model."""
    _, layer = first_recurrent_layer(model)
    return {
        "input": input_gradient_norms(model, batch),
        "state": state_jacobian_norms(layer, layer_input(model, layer, batch)),
    }


def explain_gradients(
    dm: L.LightningDataModule,
    settings: Mapping,
    trainer_cfg: DictConfig,
    seed: int,
    png_path: str | Path,
) -> dict[str, dict]:
    """Measure every configured cell at initialisation, train it briefly, measure it again.

    Args:
        dm: the datamodule, set up: training split for the fit, test windows for the norms.
        settings: ``cfg.gradients`` (``hidden_size``, ``windows``, ``epochs``, ``batches``,
            ``cells``: a list of :func:`gatework.explain.study.study_layer` options).
        trainer_cfg: ``cfg.trainer`` (its ``gradient_clip_val`` applies to the fit).
        seed: the same initialisation seed and batch order for every cell.
        png_path: where to save the figure.

    Returns:
        Per phase and cell: ``decay_per_step`` of both norms and their values at the shortest
        and longest lag.
    """
    batch = split_windows(dm, range(settings["windows"]))
    curves: dict[str, dict] = {"at initialisation": {}, "after training": {}}
    for options in settings["cells"]:
        label = study_label(options)
        L.seed_everything(seed, verbose=False)
        model = study_model(dm.spec, settings["hidden_size"], **options)
        curves["at initialisation"][label] = measure_both(model, batch)
        clip = trainer_cfg.get("gradient_clip_val")
        fit_briefly(model, dm, trainer_cfg, settings, clip, seed=seed)
        curves["after training"][label] = measure_both(model, batch)
    steps = settings["batches"] or "all"
    title = (
        f"Gradients through time: {settings['hidden_size']} units, {settings['windows']} test "
        f"windows; trained {settings['epochs']} epoch(s) × {steps} batches"
    )
    plot_gradients(curves, png_path, title)
    rows = []  # the curves themselves, beside the figure
    summary: dict[str, dict] = {}
    for phase, by_cell in curves.items():
        summary[phase] = {}
        for label, measured in by_cell.items():
            summary[phase][label] = {}
            for kind, norms in measured.items():
                first_lag = 0 if kind == "input" else 1
                summary[phase][label] |= {
                    f"{kind}_decay_per_step": decay_per_step(norms, first_lag),
                    f"{kind}_norm_shortest_lag": float(norms[0]),
                    f"{kind}_norm_longest_lag": float(norms[-1]),
                }
                rows += [(phase, label, kind, first_lag + k, v) for k, v in enumerate(norms)]
    columns = ["phase", "cell", "norm", "lag", "value"]
    pd.DataFrame(rows, columns=columns).to_csv(Path(png_path).with_suffix(".csv"), index=False)
    return summary
