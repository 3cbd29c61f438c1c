"""Gate heatmaps: every gate of every unit over one window, and how much of it is saturated."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from gatework.cells import trace_gates
from gatework.explain.png import save_png
from gatework.explain.recurrent import as_gatework, first_recurrent_layer, layer_input
from gatework.explain.study import split_windows
from gatework.models.evaluation_mode import evaluation_mode

SIGMOID_GATES = {
    "i": "input gate i_t: 0 writes nothing, 1 writes g_t",
    "f": "forget gate f_t: 0 forgets c_prev, 1 keeps it",
    "o": "output gate o_t: 0 hides the cell, 1 shows tanh(c_t)",
    "r": "reset gate r_t: 0 ignores h_prev in n_t, 1 uses it",
    "z": "update gate z_t: 0 takes n_t, 1 keeps h_prev",
}
TANH_VALUES = {
    "g": "candidate g_t = tanh(...), in (−1, 1)",
    "n": "candidate n_t = tanh(...), in (−1, 1)",
    "h": "hidden state h_t, in (−1, 1)",
}
STATE_VALUES = {"c": "cell state c_t (unbounded)"}
SATURATION = 0.05  # a sigmoid below 0.05 or above 0.95 passes (almost) no gradient


def trace_layer(layer: torch.nn.Module, x: Tensor) -> dict[str, Tensor]:
    """``trace_gates`` in evaluation mode (no dropout), leaving the layer's mode as it was.

    Args:
        layer: a gatework SimpleRNN, LSTM or GRU.
        x: its input, (B, T, F) batch first.

    Returns:
        ``{"l0.i": (B, T, H), ...}`` as :func:`gatework.cells.trace_gates`.
    """
    with evaluation_mode(layer):
        return trace_gates(layer, x)


def layer_output(layer: torch.nn.Module, x: Tensor) -> Tensor:
    """The output sequence of ``layer`` (gatework's or torch.nn's) on ``x``, in evaluation mode,
    leaving the layer's mode as it was: (B, T, D·H)."""
    with evaluation_mode(layer), torch.no_grad():
        return layer(x)[0]


def saturation(trace: dict[str, Tensor], tanh_h: bool = False) -> dict[str, float]:
    """Share of saturated values per gate: a sigmoid gate below 0.05 or above 0.95, a tanh
    value (g, n) beyond ±0.9 (the same band on tanh's scale, 2σ − 1). States (c, h) are not
    gates and are left out, unless ``tanh_h``: a tanh SimpleRNN's h_t is its one activation.

    Returns:
        ``{"l0.f": 0.31, ...}``: fractions in [0, 1] over batch, time and units.
    """
    shares = {}
    for key, values in trace.items():
        name = key.rsplit(".", 1)[1]
        if name in SIGMOID_GATES:
            saturated = (values < SATURATION) | (values > 1 - SATURATION)
        elif name in ("g", "n") or (tanh_h and name == "h"):
            saturated = values.abs() > 1 - 2 * SATURATION
        else:
            continue
        shares[key] = saturated.float().mean().item()
    return shares


def plot_gates(
    trace: dict[str, Tensor],
    prefix: str,
    series: np.ndarray,
    series_names: list[str],
    png_path: str | Path,
    title: str,
    series_unit: str = "original units",
) -> Path:
    """One heatmap per gate and state of one recurrence (units × time), the input above them.

    Args:
        trace: :func:`trace_layer` of one window (batch of 1).
        prefix: which recurrence to draw, ``"l0"``, ``"l1_reverse"``, ...
        series: the window's input, (T, F), in ``series_unit``.
        series_names: the F input column names.
        png_path: where to save the figure.
        title: the figure's title (model, window).
        series_unit: the unit of ``series``.

    Returns:
        ``png_path``.
    """
    names = [k.split(".", 1)[1] for k in trace if k.split(".", 1)[0] == prefix]
    shares = saturation(trace)
    T = series.shape[0]
    height = 1.0 + 1.6 * (len(names) + 1)
    fig = Figure(figsize=(10, height))
    steps_of_layer = trace[f"{prefix}.{names[0]}"].shape[1]  # T' = T unless convolved first
    axes = fig.subplots(len(names) + 1, 1, sharex=steps_of_layer == T, squeeze=False)[:, 0]
    fig.subplots_adjust(left=0.09, right=0.86, top=1 - 0.9 / height, bottom=0.5 / height)
    fig.subplots_adjust(hspace=0.45)
    steps = np.arange(T)
    for j, column in enumerate(series_names):
        axes[0].plot(steps, series[:, j], label=column)
    axes[0].set_ylabel(f"input\n({series_unit})")
    axes[0].legend(loc="upper left", fontsize="small")
    axes[0].set_xlim(-0.5, T - 0.5)
    axes[0].set_title(
        "input window"
        if steps_of_layer == T
        else f"input window, {T} steps; the layer below runs over {steps_of_layer} steps of "
        "convolution features"
    )
    for ax, name in zip(axes[1:], names, strict=True):
        values = trace[f"{prefix}.{name}"][0].T.numpy()  # (H, T): one row per unit
        if name in SIGMOID_GATES:
            limits, cmap, label = (0.0, 1.0), "viridis", SIGMOID_GATES[name]
            label += f"; {shares[f'{prefix}.{name}']:.0%} saturated (<0.05 or >0.95)"
        elif name in TANH_VALUES:
            limits, cmap, label = (-1.0, 1.0), "RdBu_r", TANH_VALUES[name]
            if f"{prefix}.{name}" in shares:
                label += f"; {shares[f'{prefix}.{name}']:.0%} beyond ±0.9"
        else:
            bound = float(np.abs(values).max()) or 1.0
            limits, cmap, label = (-bound, bound), "RdBu_r", STATE_VALUES.get(name, name)
        image = ax.imshow(
            values,
            aspect="auto",
            cmap=cmap,
            vmin=limits[0],
            vmax=limits[1],
            interpolation="nearest",
            extent=(-0.5, steps_of_layer - 0.5, values.shape[0] - 0.5, -0.5),
        )
        ax.set_title(label, fontsize="medium")
        ax.set_ylabel(f"{name}_t\nunit")
        colorbar = fig.colorbar(image, cax=ax.inset_axes((1.01, 0.0, 0.015, 1.0)))
        colorbar.set_label(f"{name}_t (no unit)")  # beside the axes: time stays aligned
    axes[-1].set_xlabel(
        "time step t in the window (steps)"
        if steps_of_layer == T
        else "time step t of the layer, after the convolution (steps)"
    )
    fig.suptitle(title)
    return save_png(fig, png_path, dpi=90)


def explain_gates(
    model: torch.nn.Module,
    dm: L.LightningDataModule,
    window: int,
    prefix: str,
    png_path: str | Path,
) -> dict:
    """Trace the first recurrent layer of ``model`` on one test window and draw its gates.

    A torch.nn layer (``backend=torch``) is copied into gatework's cells first. The traced
    h_t of the top layer (forward direction) is compared with the output of the model's own
    layer, torch.nn's where it is one, so the figure is known to show what the model computed.

    Returns:
        ``layer`` (its attribute name), ``copied_from_torch``, ``window``, ``recurrence``
        (``gates.layer``: ``l0``, ``l1_reverse``, ...), ``saturation``
        (:func:`saturation`) and ``max_abs_error`` (traced h against the layer's output).
    """
    name, layer = first_recurrent_layer(model)
    batch = split_windows(dm, [window])
    x = layer_input(model, layer, batch)  # (1, T', F')
    cells = as_gatework(layer)
    trace = trace_layer(cells, x)
    if f"{prefix}.h" not in trace:
        prefixes = sorted({k.split(".")[0] for k in trace})
        raise ValueError(f"gates.layer={prefix!r}: the layer has {prefixes}")
    out = layer_output(layer, x)  # the model's own layer (torch.nn's too): (1, T', D·H)
    h_top = trace[f"l{cells.num_layers - 1}.h"]  # the top layer, forward direction
    error = (h_top - out[..., : h_top.shape[-1]]).abs().max().item()
    spec = model.spec
    inputs = dm.scaler.inverse_transform(batch[0][0].double().numpy(), list(spec.input_names))
    title = (
        f"{type(model).__name__}.{name} ({type(cells).__name__}), {prefix}, test window {window}"
    )
    plot_gates(trace, prefix, inputs, list(spec.input_names), png_path, title)
    return {
        "layer": name,
        "copied_from_torch": cells is not layer,
        "window": window,
        "recurrence": prefix,
        "saturation": saturation(trace, tanh_h=getattr(cells, "nonlinearity", None) == "tanh"),
        "max_abs_error": error,
    }
