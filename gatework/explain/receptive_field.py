"""Receptive fields: which input steps reach an output, measured from the Jacobian.

A stack of 1-D convolutions and poolings with kernels k_l, dilations d_l and strides s_l reads

    field = 1 + Σ_l (k_l − 1) · d_l · J_l,    J_l = s_1 · … · s_{l−1} (the stride before layer l),

input steps per output step; for WaveNet's stride-1 stack with one kernel size this is
``1 + (k − 1) · Σ d``. The functions here measure it instead, as the span of input steps whose
gradient ``∂y_t/∂x_s`` is not zero, so the formula is checked, not assumed. A causal
convolution (``CausalConv1d``, left padding only) reads steps ``t − field + 1 .. t``; a standard
one with "same" padding reads about as far into the future as into the past.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from gatework.explain.png import save_png
from gatework.models.causal_conv import CausalConv1d

WINDOWED = (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d)


def _first(value) -> int:
    return int(value[0] if isinstance(value, Sequence) else value)


def conv_layers(model: nn.Module) -> list[nn.Module]:
    """The convolutions and poolings of ``model`` in the order they were defined (which is the
    order data flows through them in every model of gatework.models)."""
    return [m for m in model.modules() if isinstance(m, WINDOWED)]


def geometry(layer: nn.Module) -> tuple[int, int, int]:
    """``(kernel, dilation, stride)`` of a Conv1d or pooling layer."""
    dilation = getattr(layer, "dilation", 1)  # AvgPool1d has none
    return _first(layer.kernel_size), _first(dilation), _first(layer.stride)


def formula_field(layers: Sequence[nn.Module]) -> int:
    """``1 + Σ_l (k_l − 1) · d_l · J_l`` over ``layers`` (see the module docstring)."""
    field, jump = 1, 1
    for layer in layers:
        k, d, s = geometry(layer)
        field += (k - 1) * d * jump
        jump *= s
    return field


def reach(fn, x: torch.Tensor) -> np.ndarray:
    """``Σ_b |∂ Σ_c y_c / ∂x_{b,s}|`` per input step s: zero exactly where no path leads.

    Args:
        fn: maps x (B, T, F) to the outputs of one step, (B, C).
        x: random inputs; several windows, so that a ReLU or a max pooling closed in one
            window is open in another.

    Returns:
        (T,) array.
    """
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(x).sum(), x)
    return grad.abs().sum(dim=(0, 2)).numpy()


def span(sensitivity: np.ndarray) -> tuple[int, int]:
    """First and last index with a non-zero entry."""
    nonzero = np.flatnonzero(sensitivity)
    return int(nonzero[0]), int(nonzero[-1])


def measure(model: nn.Module, input_len: int, windows: int = 64, seed: int = 0) -> dict:
    """The receptive field of a model's convolutions and of its forecast, measured and by formula.

    Args:
        model: a ForecastModule (any; recurrent or pooled models read the whole window).
        input_len: the data's window, for comparison.
        windows: random windows the gradients are summed over.
        seed: seed of those windows.

    Returns:
        ``layers`` ((kernel, dilation, stride) each), ``formula``, ``measured`` (the conv stack
        alone, at an output step in the middle of a long input), ``causal``, ``forecast_reads``
        (input steps the forecast depends on; ``"every step"`` when there is no limit, as
        behind a recurrence or a global pooling), ``forecast_reach`` (per step back from the
        last input, for the figure) and ``input_len``.
    """
    model = copy.deepcopy(model).double().eval()
    layers = conv_layers(model)
    formula = formula_field(layers)
    length = 4 * max(formula, input_len) + 1
    generator = torch.Generator().manual_seed(seed)
    width = getattr(model, "input_size", 1)
    x = torch.randn(windows, length, width, dtype=torch.float64, generator=generator)
    forecast = reach(lambda v: model.last_step(model(v)), x)[::-1]  # by steps back
    first, last = span(forecast)
    result = {
        "layers": [list(geometry(m)) for m in layers],
        "formula": formula,
        "measured": None,
        "causal": all(isinstance(m, CausalConv1d) or geometry(m)[0] == 1 for m in layers),
        "forecast_reads": last - first + 1 if last + 1 < length else "every step",
        "forecast_reach": forecast[: 2 * max(formula, input_len)],
        "input_len": input_len,
    }
    if layers:
        stack = nn.Sequential(*layers)  # the same layers in a row, without activations

        def middle(v):  # the stack's output at its middle step, (B, C)
            out = stack(v.transpose(1, 2))  # (B, C, T')
            return out[:, :, out.shape[2] // 2]

        first, last = span(reach(middle, x[:, :, : layers[0].in_channels]))
        result["measured"] = last - first + 1
    return result


def reach_map(layers: Sequence[tuple[int, int]], length: int, causal: bool) -> np.ndarray:
    """Which input step reaches which output step through stride-1 dilated convolutions.

    Computed on a longer sequence and cropped to its middle ``length`` steps, so that the
    zeros padded at the ends (which cut paths of a standard convolution near the window's
    edges) do not show: the map is that of a window inside a long series.

    Args:
        layers: ``(kernel, dilation)`` per layer.
        length: T, input and output steps shown.
        causal: left padding only (``CausalConv1d``) or standard "same" padding.

    Returns:
        (T, T) boolean array, ``[t, s]`` True when x_s reaches y_t.
    """
    convs = [
        CausalConv1d(1, 1, k, dilation=d)
        if causal
        else nn.Conv1d(1, 1, k, dilation=d, padding="same")
        for k, d in layers
    ]
    stack = nn.Sequential(*convs).double()
    with torch.no_grad():
        for conv in convs:  # all weights 1: the Jacobian counts paths, zero where there is none
            conv.weight.fill_(1.0)
            conv.bias.zero_()
    margin = sum((k - 1) * d for k, d in layers)  # one field on each side
    x = torch.zeros(length + 2 * margin, dtype=torch.float64)
    with warnings.catch_warnings():  # "same" padding with an even kernel: a note on speed only
        warnings.filterwarnings("ignore", message="Using padding='same'")
        jacobian = torch.autograd.functional.jacobian(lambda v: stack(v.view(1, 1, -1)).view(-1), x)
    middle = slice(margin, margin + length)
    return (jacobian[middle, middle] > 0).numpy()


def read_steps(layers: Sequence[tuple[int, int]], causal: bool) -> tuple[int, int]:
    """How many steps before and after t an output y_t reads, far from the edges."""
    margin = sum((k - 1) * d for k, d in layers)
    reached = reach_map(layers, 2 * margin + 1, causal)[margin]  # the row of the middle step
    first, last = span(reached.astype(float))
    return margin - first, last - margin


def plot_receptive_fields(
    fields: dict[str, dict], maps: dict[str, np.ndarray], png_path: str | Path, title: str
) -> Path:
    """Top: what each model's forecast reads, per step back; bottom: causal and standard maps.

    Args:
        fields: model name -> :func:`measure`.
        maps: label -> :func:`reach_map` (two: causal and standard).
        png_path: where to save the figure.
        title: the figure's title.
    """
    n = max(len(fields), len(maps))
    fig = Figure(figsize=(4.2 * n, 8), layout="constrained")
    grid = fig.add_gridspec(2, 2 * n)
    for j, (name, field) in enumerate(fields.items()):
        ax = fig.add_subplot(grid[0, 2 * j : 2 * j + 2])
        sensitivity = field["forecast_reach"]
        steps = np.arange(len(sensitivity))
        ax.semilogy(steps, np.where(sensitivity > 0, sensitivity, np.nan), lw=1)
        ax.axvspan(-0.5, field["input_len"] - 0.5, color="tab:green", alpha=0.12, label="window")
        if field["layers"]:
            ax.axvline(
                field["formula"] - 0.5, color="black", ls="--", lw=1, label="conv field (formula)"
            )
        reads = field["forecast_reads"]
        reads = f"the last {reads} steps" if isinstance(reads, int) else "every step (no limit)"
        conv = f"convolutions alone: {field['measured']} steps (formula {field['formula']})"
        ax.set_title(
            f"{name}: the forecast reads {reads}\n"
            + (conv if field["layers"] else "no convolution"),
            fontsize="medium",
        )
        ax.set_xlabel("steps back from the last input (steps)")
        ax.set_ylabel("Σ |∂ŷ/∂x_s| over the windows (log)")
        ax.legend(fontsize="small")
    for j, (label, reached) in enumerate(maps.items()):
        ax = fig.add_subplot(grid[1, j * n : (j + 1) * n] if len(maps) == 2 else grid[1, :])
        ax.imshow(reached, cmap="Greys", interpolation="nearest", origin="upper", vmin=0, vmax=1)
        ax.set_title(label, fontsize="medium")
        ax.set_xlabel("input step s in the window (steps); black: x_s reaches y_t")
        ax.set_ylabel("output step t (steps)")
    fig.suptitle(title)
    return save_png(fig, png_path, dpi=90)


def explain_receptive_fields(
    models: dict[str, nn.Module], input_len: int, windows: int, png_path: str | Path
) -> dict[str, dict]:
    """Measure each model's field, and map causal against standard padding for the dilated
    causal convolutions of the first model that has some (WaveNet's).

    Returns:
        Per model, :func:`measure` without the per-step curve; and under ``"causal vs
        standard"`` the steps before and after t that an output in the window's middle reads.
    """
    fields = {name: measure(model, input_len, windows) for name, model in models.items()}
    summary = {
        name: {k: v for k, v in field.items() if k != "forecast_reach"}
        for name, field in fields.items()
    }
    maps = {}
    for name, model in models.items():
        dilated = [geometry(m)[:2] for m in conv_layers(model) if isinstance(m, CausalConv1d)]
        if not dilated:
            continue
        for causal in (True, False):
            before, after = read_steps(dilated, causal)
            kind = "causal" if causal else "standard (padding='same')"
            label = (
                f"{name}'s {len(dilated)} dilated layers, {kind}:\n"
                f"y_t reads x_(t−{before}) .. x_(t+{after}), {before + after + 1} steps"
            )
            maps[label] = reach_map(dilated, input_len, causal)
            summary.setdefault("causal vs standard", {})[kind] = {
                "model": name,
                "steps_before": before,
                "steps_after": after,
            }
        break
    title = f"Receptive fields against the {input_len}-step input window"
    plot_receptive_fields(fields, maps, png_path, title)
    return summary
